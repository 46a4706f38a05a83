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


class ReadOnlyAdminMixin:
    """For what this tool only shows: LibreChat's users and transactions, and the audit history."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TypedValueFilter(admin.SimpleListFilter):
    """A sidebar filter whose value is typed (a threshold, a date), not chosen from a list."""

    template = "admin/typed_value_filter.html"
    input_type = "text"
    placeholder = ""

    def lookups(self, request, model_admin):
        return [("", "")]

    def has_output(self):
        return True

    def choices(self, changelist):
        # The form resubmits the other active filters and the search as hidden inputs.
        kept = [(key, value) for key, value in changelist.params.items() if key != self.parameter_name]
        yield {"query_parts": kept}
