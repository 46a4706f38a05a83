from functools import partial

from django.contrib import admin
from django.db.models import Count, Sum
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from audit import admin_history, admin_import  # noqa: F401  (register the history lists and the CSV import)
from audit.admin_export import CsvExportMixin
from audit.admin_filters import BatchSourceFilter, BatchStateFilter
from audit.admin_reversal import reverse_batch_view
from audit.models import BalanceChange, ChangeBatch
from ledger.reversal import refusal_for
from librechat.credits import format_credits
from web.admin_lists import ListTitleMixin, OverflowSafeListMixin, ReadOnlyAdminMixin, SearchAsYouTypeMixin


@admin.register(ChangeBatch)
class ChangeBatchAdmin(
    ListTitleMixin, SearchAsYouTypeMixin, OverflowSafeListMixin, CsvExportMixin, ReadOnlyAdminMixin, admin.ModelAdmin
):
    # The total change second so that it shows on a phone; kind with amount, actor with source.
    list_display = ["created_at", "total_delta", "users", "batch_id", "kind_and_amount", "who", "reason"]
    list_filter = [BatchStateFilter, BatchSourceFilter, "kind"]
    search_fields = ["batch_id", "actor", "reason"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = None
    change_form_template = "admin/audit/changebatch/change_form.html"
    fields = [
        "batch_id",
        "kind",
        "amount",
        "source",
        "actor",
        "reason",
        "created_at",
        "progress",
        "total_delta",
        "reversal",
        "stopped_reason",
    ]
    readonly_fields = ["amount", "progress", "total_delta", "reversal"]
    export_columns = ["created_at", "batch_id", "kind", "amount_credits", "source", "actor", "reason", "users"]

    def export_row(self, batch) -> dict:
        row = {column: getattr(batch, column, None) for column in self.export_columns}
        return {**row, "users": batch.user_count}

    def get_urls(self):
        reverse_view = self.admin_site.admin_view(partial(reverse_batch_view, self))
        return [path("<int:object_id>/reverse/", reverse_view, name="audit_changebatch_reverse"), *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        batch = self.get_object(request, object_id)
        # The page reloads itself while the batch has work left and a runner (or the queue) has it.
        unfinished = batch is not None and batch.progress()[BalanceChange.Status.PENDING] > 0
        refresh = unfinished and (batch.is_running or batch.in_background)
        may_reverse = batch is not None and request.user.has_perm("balances.change_credits") and not refusal_for(batch)
        context = {"refresh_seconds": 3 if refresh else None, "may_reverse": may_reverse}
        return super().change_view(request, object_id, form_url, {**context, **(extra_context or {})})

    @admin.display(description="progress")
    def progress(self, batch):
        counts = batch.progress()
        state = "running" if batch.is_running else ("queued" if batch.in_background and counts["pending"] else "idle")
        url = reverse("admin:audit_balancechange_changelist") + f"?batch__id__exact={batch.pk}"
        return format_html(
            '{} applied, {} failed, {} remaining, {} needs review ({}). <a href="{}">See each user</a>, '
            '<a href="{}">the failed</a>, <a href="{}">those needing review</a>.',
            format_credits(counts["applied"]),
            format_credits(counts["failed"]),
            format_credits(counts["pending"]),
            format_credits(counts["review"]),
            state,
            url,
            f"{url}&status__exact=failed",
            f"{url}&status__exact=review",
        )

    @admin.display(description="reversal")
    def reversal(self, batch):
        parts = []
        if batch.reverses_id:
            url = reverse("admin:audit_changebatch_change", args=[batch.reverses_id])
            parts.append(format_html('Reverses <a href="{}">batch {}</a>.', url, batch.reverses.batch_id))
        reversed_by = ChangeBatch.objects.filter(reverses=batch).first()
        if reversed_by:
            url = reverse("admin:audit_changebatch_change", args=[reversed_by.pk])
            parts.append(format_html('Reversed by <a href="{}">batch {}</a>.', url, reversed_by.batch_id))
        return format_html_join(" ", "{}", ((part,) for part in parts)) or "-"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(user_count=Count("changes"), delta=Sum("changes__delta_credits"))

    @admin.display(description="amount")
    def amount(self, batch):
        return "per row" if batch.amount_credits is None else format_credits(batch.amount_credits)

    @admin.display(description="kind (amount)", ordering="kind")
    def kind_and_amount(self, batch):
        return format_html("{}<br><small>{}</small>", batch.get_kind_display(), self.amount(batch))

    @admin.display(description="who (source)", ordering="actor")
    def who(self, batch):
        return format_html("{}<br><small>{}</small>", batch.actor, batch.get_source_display())

    @admin.display(description="users", ordering="user_count")
    def users(self, batch):
        url = reverse("admin:audit_balancechange_changelist") + f"?batch__id__exact={batch.pk}"
        return format_html('<a href="{}">{}</a>', url, format_credits(batch.user_count))

    @admin.display(description="total change", ordering="delta")
    def total_delta(self, batch):
        return format_credits(batch.delta or 0)
