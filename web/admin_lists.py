"""Pieces the admin's lists share: read-only pages and typed sidebar filters."""

from django.contrib import admin


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
