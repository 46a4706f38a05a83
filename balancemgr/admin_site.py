from django.contrib import admin

from tenancy.admin_lists import every_tenant_only, is_limited


class BalanceManagerAdminSite(admin.AdminSite):
    site_header = "LibreChat Balance Manager"
    site_title = "Balance Manager"
    index_title = "Overview"

    def index(self, request, extra_context=None):
        from balances.overview import balance_overview

        # The overview totals the whole install: not for staff limited to some tenants.
        shows_overview = request.user.has_perm("balances.view_balance") and not is_limited(request)
        context = {"overview": balance_overview()} if shows_overview else {}
        return super().index(request, {**context, **(extra_context or {})})

    def admin_view(self, view, cacheable=False):
        # Safe by default for staff limited to some tenants: every page shows the whole install
        # unless its admin scopes rows by tenant (tenancy.admin_lists.TenantScopedAdminMixin) or the
        # view says it scopes itself (tenant_scoped). The site's own views (index, login, password
        # change) stay open; a scoped admin's extra views that span tenants refuse limited staff themselves.
        owner = getattr(view, "__self__", None)
        scoped = getattr(owner, "tenant_scoped", False) or getattr(view, "tenant_scoped", False)
        if owner is not self and not scoped:
            view = every_tenant_only(view)
        return super().admin_view(view, cacheable)

    def get_app_list(self, request, app_label=None):
        # CSV top-ups change balances: an operator looks for them under balances, not the audit.
        apps = super().get_app_list(request, app_label)
        if is_limited(request):
            for app in apps:
                app["models"] = [
                    m for m in app["models"] if getattr(self._registry[m["model"]], "tenant_scoped", False)
                ]
        by_label = {app["app_label"]: app for app in apps}
        if "audit" in by_label and "balances" in by_label:
            moved = [model for model in by_label["audit"]["models"] if model["object_name"] == "ImportRow"]
            by_label["audit"]["models"] = [m for m in by_label["audit"]["models"] if m["object_name"] != "ImportRow"]
            by_label["balances"]["models"] += moved
        return [app for app in apps if app["models"]]
