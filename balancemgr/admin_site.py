from django.contrib import admin


class BalanceManagerAdminSite(admin.AdminSite):
    site_header = "LibreChat Balance Manager"
    site_title = "Balance Manager"
    index_title = "Overview"

    def index(self, request, extra_context=None):
        from balances.overview import balance_overview

        context = {"overview": balance_overview()} if request.user.has_perm("balances.view_balance") else {}
        return super().index(request, {**context, **(extra_context or {})})


class ReadOnlyAdminMixin:
    """For what this tool only shows: LibreChat's users and transactions, and the audit history."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
