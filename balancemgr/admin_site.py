from django.contrib import admin


class BalanceManagerAdminSite(admin.AdminSite):
    site_header = "LibreChat Balance Manager"
    site_title = "Balance Manager"
    index_title = "Overview"

    def index(self, request, extra_context=None):
        from balances.overview import balance_overview

        context = {"overview": balance_overview()} if request.user.has_perm("balances.view_balance") else {}
        return super().index(request, {**context, **(extra_context or {})})
