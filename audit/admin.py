import hashlib
from functools import partial

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core import signing
from django.db.models import Count, Sum
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from import_export.admin import ImportMixin
from import_export.formats.base_formats import CSV
from import_export.forms import ConfirmImportForm, ImportForm

from audit import admin_history  # noqa: F401  (registers the history lists)
from audit.admin_export import CsvExportMixin
from audit.admin_filters import BatchSourceFilter
from audit.admin_reversal import reverse_batch_view
from audit.models import BalanceChange, ChangeBatch, ImportRow
from balances.admin_actions import batch_link, report_outcome
from balances.resources import CreditImportResource
from ledger.changes import Kind, LedgerError, Target, open_batch, run_batch, targets_for_emails
from ledger.reversal import refusal_for
from ledger.tasks import queue_batch
from librechat.credits import format_credits
from librechat.mongo import mongo_unreachable_reason
from web.admin_lists import OverflowSafeListMixin, ReadOnlyAdminMixin

IMPORT_REVIEW_SALT = "audit.admin.import_review"
IMPORT_MODES = [(Kind.ADD, "add each amount to the balance"), (Kind.SET, "set each balance to the amount")]


@admin.register(ChangeBatch)
class ChangeBatchAdmin(OverflowSafeListMixin, CsvExportMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "batch_id", "kind", "amount", "source", "actor", "reason", "users", "total_delta"]
    list_filter = [BatchSourceFilter, "kind"]
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
            counts["applied"],
            counts["failed"],
            counts["pending"],
            counts["review"],
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

    @admin.display(description="users", ordering="user_count")
    def users(self, batch):
        url = reverse("admin:audit_balancechange_changelist") + f"?batch__id__exact={batch.pk}"
        return format_html('<a href="{}">{}</a>', url, batch.user_count)

    @admin.display(description="total change", ordering="delta")
    def total_delta(self, batch):
        return format_credits(batch.delta or 0)


class CreditImportForm(ImportForm):
    mode = forms.ChoiceField(choices=IMPORT_MODES, initial=Kind.ADD, widget=forms.RadioSelect)


class ConfirmCreditImportForm(ConfirmImportForm):
    mode = forms.ChoiceField(choices=IMPORT_MODES, widget=forms.HiddenInput)
    # Signed at the preview: the mode applied is the mode previewed, for the file previewed.
    reviewed = forms.CharField(widget=forms.HiddenInput)


@admin.register(ImportRow)
class ImportRowAdmin(ImportMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """CSV top-ups: preview every row, then apply the whole file as one audited batch."""

    resource_classes = [CreditImportResource]
    formats = [CSV]
    import_template_name = "admin/audit/importrow/import.html"
    import_form_class = CreditImportForm
    confirm_form_class = ConfirmCreditImportForm
    list_display = ["created_at", "email", "amount", "reason", "batch_id"]
    search_fields = ["email", "batch_id"]

    def create_import_form(self, request):
        form = super().create_import_form(request)
        if not request.user.is_superuser:
            # Setting the balances of any list of users is the same power as "set all matching".
            form.fields["mode"].choices = [(Kind.ADD, IMPORT_MODES[0][1])]
            form.fields["mode"].help_text = "Only superusers may import files that set balances."
        return form

    def get_import_resource_kwargs(self, request, **kwargs):
        form = kwargs.get("form")
        cleaned = getattr(form, "cleaned_data", None) or {}
        return {"mode": cleaned.get("mode", Kind.ADD), "batch_id": import_batch_id(cleaned)}

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if not import_form:
            return initial
        mode = import_form.cleaned_data["mode"]
        reviewed = signing.dumps({"file": initial.get("import_file_name"), "mode": mode}, salt=IMPORT_REVIEW_SALT)
        return {**initial, "mode": mode, "reviewed": reviewed}

    def import_action(self, request, **kwargs):
        return mongo_unavailable_response(request) or super().import_action(request, **kwargs)

    def process_import(self, request, **kwargs):
        if unavailable := mongo_unavailable_response(request):
            return unavailable
        if not reviewed_mode_matches(request.POST):
            self.message_user(request, "The import differs from the preview: upload the file again.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:audit_importrow_import"))
        try:
            return super().process_import(request, **kwargs)
        except FileNotFoundError:
            # The uploaded file is removed once applied: this was a second submit.
            self.message_user(request, "This file was already imported; nothing was applied again.", messages.INFO)
            return HttpResponseRedirect(reverse("admin:audit_importrow_changelist"))

    def process_dataset(self, dataset, form, request, **kwargs):
        result = super().process_dataset(dataset, form, request, **kwargs)
        if result.has_errors() or result.has_validation_errors():
            return result
        staging_id = import_batch_id(form.cleaned_data)
        rows = list(ImportRow.objects.filter(batch_id=staging_id))
        user_ids = {target.email: target.user_id for target in targets_for_emails(row.email for row in rows)[0]}
        targets = [Target(user_ids[row.email], row.email, row.amount_credits, row.reason) for row in rows]
        # The same file (and mode) again is the same batch: it resumes instead of crediting twice.
        fingerprint = hashlib.sha256(f"{dataset.export('csv')}\nmode={form.cleaned_data['mode']}".encode()).hexdigest()
        try:
            batch = open_batch(
                kind=form.cleaned_data["mode"],
                amount_credits=None,
                source=ChangeBatch.Source.IMPORT,
                actor=request.user.get_username(),
                reason="CSV import",
                batch_id=f"csv-{fingerprint[:40]}",
                fingerprint=fingerprint,
                targets=targets,
            )
        except LedgerError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return result
        ImportRow.objects.filter(batch_id=staging_id).update(batch_id=batch.batch_id)
        if len(targets) >= settings.BACKGROUND_BATCH_MIN_USERS:
            queue_batch(batch)
            request.credit_import_queued = batch
        else:
            request.credit_import_outcome = run_batch(batch, retry_failed=True)
        return result

    def add_success_message(self, result, request):
        outcome = getattr(request, "credit_import_outcome", None)
        if outcome is not None:
            report_outcome(self, request, outcome)
        if queued := getattr(request, "credit_import_queued", None):
            self.message_user(request, format_html("The file was queued as {}.", batch_link(queued)), messages.INFO)

    @admin.display(description="amount")
    def amount(self, row):
        return format_credits(row.amount_credits)


def import_batch_id(cleaned_form_data: dict) -> str:
    """The staging id of one upload's rows: its temporary name is unique and survives to the confirm step."""
    return f"import-{cleaned_form_data.get('import_file_name', '')}"[:64]


def reviewed_mode_matches(posted) -> bool:
    """Whether the confirm step posts the file and mode the preview signed."""
    try:
        reviewed = signing.loads(posted.get("reviewed", ""), salt=IMPORT_REVIEW_SALT)
    except signing.BadSignature:
        return False
    return reviewed == {"file": posted.get("import_file_name"), "mode": posted.get("mode")}


def mongo_unavailable_response(request) -> TemplateResponse | None:
    """The one-line "MongoDB unreachable" page, checked first: import-export would show a traceback."""
    reason = mongo_unreachable_reason()
    if reason is None:
        return None
    context = {**admin.site.each_context(request), "reason": reason, "title": "LibreChat database unavailable"}
    return TemplateResponse(request, "mongo_unavailable.html", context, status=503)
