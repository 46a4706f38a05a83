from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Sum
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from import_export.admin import ImportMixin
from import_export.formats.base_formats import CSV
from import_export.forms import ConfirmImportForm, ImportForm

from audit.models import BalanceChange, ChangeBatch, ImportRow
from balancemgr.admin_site import ReadOnlyAdminMixin
from balances.admin_actions import report_outcome
from balances.credits import format_credits
from balances.ledger import Kind, LedgerError, Target, apply_batch, open_batch, targets_for_emails
from balances.resources import CreditImportResource

IMPORT_MODES = [(Kind.ADD, "add each amount to the balance"), (Kind.SET, "set each balance to the amount")]


@admin.register(ChangeBatch)
class ChangeBatchAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "batch_id", "kind", "amount", "source", "actor", "reason", "users", "total_delta"]
    list_filter = ["source", "kind"]
    search_fields = ["batch_id", "actor", "reason"]
    date_hierarchy = "created_at"

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


@admin.register(BalanceChange)
class BalanceChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["created_at", "email", "kind", "requested", "before", "delta", "after", "status", "actor", "source"]
    list_filter = ["status", "batch__source", "batch__kind"]
    search_fields = ["email", "librechat_user_id", "batch__batch_id", "batch__actor"]
    list_select_related = ["batch"]
    date_hierarchy = "created_at"

    @admin.display(description="kind")
    def kind(self, change):
        return change.batch.get_kind_display()

    @admin.display(description="actor")
    def actor(self, change):
        return change.batch.actor

    @admin.display(description="source")
    def source(self, change):
        return change.batch.get_source_display()

    @admin.display(description="requested")
    def requested(self, change):
        return format_credits(change.requested_credits)

    @admin.display(description="before")
    def before(self, change):
        return format_credits(change.before_credits)

    @admin.display(description="delta")
    def delta(self, change):
        return format_credits(change.delta_credits)

    @admin.display(description="after")
    def after(self, change):
        return format_credits(change.after_credits)


class CreditImportForm(ImportForm):
    mode = forms.ChoiceField(choices=IMPORT_MODES, initial=Kind.ADD, widget=forms.RadioSelect)


class ConfirmCreditImportForm(ConfirmImportForm):
    mode = forms.ChoiceField(choices=IMPORT_MODES, widget=forms.HiddenInput)


@admin.register(ImportRow)
class ImportRowAdmin(ImportMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """CSV top-ups: preview every row, then apply the whole file as one audited batch."""

    resource_classes = [CreditImportResource]
    formats = [CSV]
    import_form_class = CreditImportForm
    confirm_form_class = ConfirmCreditImportForm
    list_display = ["created_at", "email", "amount", "reason", "batch_id"]
    search_fields = ["email", "batch_id"]

    def get_import_resource_kwargs(self, request, **kwargs):
        form = kwargs.get("form")
        cleaned = getattr(form, "cleaned_data", None) or {}
        return {"mode": cleaned.get("mode", Kind.ADD), "batch_id": import_batch_id(cleaned)}

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        return {**initial, "mode": import_form.cleaned_data["mode"]} if import_form else initial

    def process_import(self, request, **kwargs):
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
        batch_id = import_batch_id(form.cleaned_data)
        rows = list(ImportRow.objects.filter(batch_id=batch_id))
        user_ids = {target.email: target.user_id for target in targets_for_emails(row.email for row in rows)[0]}
        targets = [Target(user_ids[row.email], row.email, row.amount_credits, row.reason) for row in rows]
        try:
            batch = open_batch(
                kind=form.cleaned_data["mode"],
                amount_credits=None,
                source=ChangeBatch.Source.IMPORT,
                actor=request.user.get_username(),
                reason=f"CSV import {form.cleaned_data.get('original_file_name', '')}",
                batch_id=batch_id,
            )
        except LedgerError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return result
        request.credit_import_outcome = apply_batch(batch, targets)
        return result

    def add_success_message(self, result, request):
        outcome = getattr(request, "credit_import_outcome", None)
        if outcome is not None:
            report_outcome(self, request, outcome)

    @admin.display(description="amount")
    def amount(self, row):
        return format_credits(row.amount_credits)


def import_batch_id(cleaned_form_data: dict) -> str:
    """One batch per uploaded file: its temporary name is unique and survives to the confirm step."""
    return f"import-{cleaned_form_data.get('import_file_name', '')}"[:64]
