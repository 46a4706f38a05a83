"""The history: every change this tool made, LibreChat's own credits rows, refill-setting edits."""

from bson import ObjectId
from bson.errors import InvalidId
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from audit.admin_export import CsvExportMixin
from audit.admin_filters import (
    ActorFilter,
    BatchFilter,
    ChangedFromFilter,
    ChangedToFilter,
    CreatedFromFilter,
    CreatedToFilter,
    SourceFilter,
)
from audit.models import BalanceChange, RefillChange
from ledger.history import EXPORT_COLUMNS, change_row, credits_rows, history_totals
from librechat.credits import format_credits
from tenancy.admin_lists import TenantScopedAdminMixin, is_limited
from web.admin_lists import ListTitleMixin, OverflowSafeListMixin, ReadOnlyAdminMixin, SearchAsYouTypeMixin


def user_link(user_id: str, email: str) -> str:
    """The email linking to the LibreChat user's page (balance and history), the user id below it."""
    if len(user_id) != 24:
        return format_html("{}<br><small>{}</small>", email, user_id)
    url = reverse("admin:balances_librechatuser_change", args=[user_id])
    return format_html('<a href="{}">{}</a><br><small>{}</small>', url, email, user_id)


class JournalAdmin(
    ListTitleMixin,
    TenantScopedAdminMixin,
    SearchAsYouTypeMixin,
    OverflowSafeListMixin,
    CsvExportMixin,
    ReadOnlyAdminMixin,
    admin.ModelAdmin,
):
    """A list of the ledger's journal: read-only, by the tenant each row recorded, searched as typed, exported."""


@admin.register(BalanceChange)
class BalanceChangeAdmin(JournalAdmin):
    """The place an operator looks first: who changed whose balance, when, by how much and why.

    Filtered by the tenant each change recorded (`tenant_id`, blank before tenants were recorded).
    """

    list_title = "History"
    # Few, dense columns so that all show on a 1400 px screen; status right after the change so
    # that it shows on a phone too. The row's page has the rest.
    list_display = ["when", "user", "change", "status", "who", "why", "batch_link"]
    list_filter = [SourceFilter, ActorFilter, "status", BatchFilter, CreatedFromFilter, CreatedToFilter]
    # Any part of an email; exact user and batch ids. `?email=` and `?librechat_user_id=` (the
    # user pages' links) are exact and use the indexes.
    search_fields = ["email", "=librechat_user_id", "=batch__batch_id"]
    search_help_text = "Any part of an email, or an exact user id or batch id."
    list_select_related = ["batch"]
    # Newest first by id (the order rows are written in): a search that must read every row then
    # reads the table in order instead of hopping through the created_at index.
    ordering = ["-id"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = None
    change_list_template = "admin/audit/balancechange/change_list.html"
    export_columns = EXPORT_COLUMNS

    def export_row(self, change) -> dict:
        return change_row(change)

    def get_urls(self):
        credits = path(
            "librechat-credits/",
            self.admin_site.admin_view(self.librechat_credits_view),
            name="audit_librechat_credits",
        )
        return [credits, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            response.context_data["totals"] = history_totals(changelist.queryset)
        return response

    def librechat_credits_view(self, request):
        """LibreChat's `credits` rows, ours marked; `?user=<id>` narrows to one user."""
        if not (self.has_view_permission(request) and request.user.has_perm("balances.view_transaction")):
            raise PermissionDenied
        if is_limited(request):  # LibreChat's credits rows of every tenant
            raise PermissionDenied
        user_id, error = None, ""
        if raw_user := request.GET.get("user", "").strip():
            try:
                user_id = ObjectId(raw_user)
            except (InvalidId, TypeError):
                error = f"{raw_user!r} is not a LibreChat user id (24 hexadecimal characters)."
        before_id = request.GET.get("before", "")
        rows, next_before = ([], "") if error else credits_rows(user_id=user_id, before_id=before_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Credits rows in LibreChat's history",
            "rows": rows,
            "user_filter": raw_user,
            "error": error,
            "next_before": next_before,
        }
        return TemplateResponse(request, "admin/audit/librechat_credits.html", context)

    @admin.display(description="who (source)", ordering="batch__actor")
    def who(self, change):
        return format_html("{}<br><small>{}</small>", change.batch.actor, change.batch.get_source_display())

    @admin.display(description="email and user id", ordering="email")
    def user(self, change):
        return user_link(change.librechat_user_id, change.email)

    @admin.display(description="change", ordering="delta_credits")
    def change(self, change):
        before = (
            "no balance"
            if change.before_credits is None and change.status == "applied"
            else format_credits(change.before_credits)
        )
        return format_html(
            "{}<br><small>{} → {}</small>",
            format_credits(change.delta_credits),
            before,
            format_credits(change.after_credits),
        )

    @admin.display(description="reason")
    def why(self, change):
        return change.reason or change.batch.reason

    @admin.display(description="when (UTC)", ordering="created_at")
    def when(self, change):
        return change.created_at.strftime("%Y-%m-%d %H:%M")

    @admin.display(description="batch", ordering="batch")
    def batch_link(self, change):
        url = reverse("admin:audit_changebatch_change", args=[change.batch_id])
        return format_html(
            '<a href="{}">{}</a><br><small>{}</small>', url, change.batch.batch_id[:12], change.batch.get_kind_display()
        )


@admin.register(RefillChange)
class RefillChangeAdmin(JournalAdmin):
    """Edits of users' auto-refill settings (written by the balance page), by the tenant each recorded."""

    list_display = ["changed_at", "user", "change", "actor"]
    list_filter = ["field_name", "actor", ChangedFromFilter, ChangedToFilter]
    search_fields = ["email", "=librechat_user_id"]
    search_help_text = "Any part of an email, or an exact user id."
    date_hierarchy = "changed_at"
    show_full_result_count = False
    actions = None
    change_list_template = "admin/audit/refillchange/change_list.html"
    export_columns = [
        "changed_at",
        "actor",
        "email",
        "librechat_user_id",
        "tenant",
        "field_name",
        "before_value",
        "after_value",
    ]

    def export_row(self, refill_change) -> dict:
        return {
            column: refill_change.tenant_id if column == "tenant" else getattr(refill_change, column)
            for column in self.export_columns
        }

    @admin.display(description="email and user id", ordering="email")
    def user(self, refill_change):
        return user_link(refill_change.librechat_user_id, refill_change.email)

    @admin.display(description="change", ordering="field_name")
    def change(self, refill_change):
        before, after = refill_change.before_value or "-", refill_change.after_value or "-"
        return format_html("{}<br><small>{} → {}</small>", refill_change.field_name, before, after)
