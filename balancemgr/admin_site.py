from django.contrib import admin


class BalanceManagerAdminSite(admin.AdminSite):
    site_header = "LibreChat Balance Manager"
    site_title = "Balance Manager"
    index_title = "Overview"

    def index(self, request, extra_context=None):
        from balances.overview import balance_overview

        context = {"overview": balance_overview()} if request.user.has_perm("balances.view_balance") else {}
        return super().index(request, {**context, **(extra_context or {})})

    def get_app_list(self, request, app_label=None):
        # CSV top-ups change balances: an operator looks for them under balances, not the audit.
        apps = super().get_app_list(request, app_label)
        by_label = {app["app_label"]: app for app in apps}
        if "audit" in by_label and "balances" in by_label:
            moved = [model for model in by_label["audit"]["models"] if model["object_name"] == "ImportRow"]
            by_label["audit"]["models"] = [m for m in by_label["audit"]["models"] if m["object_name"] != "ImportRow"]
            by_label["balances"]["models"] += moved
        return [app for app in apps if app["models"]]
