"""The batch page's "reverse this batch": the plan first, then one explicit apply."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from ledger.changes import LedgerError
from ledger.models import ChangeBatch
from ledger.reversal import BelowZero, ReversalPlan, plan_reversal, reverse_batch
from librechat.credits import format_credits_and_usd


class ReversalForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False, help_text="Why, for the audit history.")
    below_zero = forms.ChoiceField(
        choices=BelowZero.CHOICES, required=False, widget=forms.RadioSelect, label="Balances that would go below 0"
    )

    def __init__(self, *args, plan: ReversalPlan, **kwargs):
        super().__init__(*args, **kwargs)
        self.below_zero_count = plan.below_zero_count
        if not plan.below_zero_count:
            del self.fields["below_zero"]
            return
        totals = {BelowZero.CLAMP: plan.clamped_total_credits, BelowZero.ALLOW_NEGATIVE: plan.total_credits}
        self.fields["below_zero"].choices = [
            (choice, f"{label}: total change {format_credits_and_usd(totals[choice], ' credits')}")
            for choice, label in BelowZero.CHOICES
        ]

    def clean_below_zero(self):
        choice = self.cleaned_data.get("below_zero")
        if self.below_zero_count and not choice:
            raise forms.ValidationError(
                f"Reversing would take {self.below_zero_count} balances below 0: choose clamp at 0 or allow negative."
            )
        return choice


def reverse_batch_view(model_admin, request, object_id: int):
    if not request.user.has_perm("balances.change_credits"):
        raise PermissionDenied
    batch = ChangeBatch.objects.filter(pk=object_id).first()
    if batch is None:
        raise Http404("No such batch.")
    batch_url = reverse("admin:audit_changebatch_change", args=[batch.pk])
    plan = plan_reversal(batch)
    if plan.refusal:
        model_admin.message_user(request, plan.refusal, messages.ERROR)
        return HttpResponseRedirect(batch_url)
    form = ReversalForm(request.POST or None, plan=plan)
    if request.method == "POST" and form.is_valid():
        try:
            reversal = reverse_batch(
                batch,
                actor=request.user.get_username(),
                reason=form.cleaned_data["reason"],
                below_zero=form.cleaned_data.get("below_zero") or "",
            )
        except LedgerError as exc:
            model_admin.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(batch_url)
        link = reverse("admin:audit_changebatch_change", args=[reversal.pk])
        message = format_html('Reversal opened as <a href="{}">batch {}</a>.', link, reversal.batch_id)
        model_admin.message_user(request, message, messages.SUCCESS)
        return HttpResponseRedirect(link)
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "original": batch,
        "title": f"Reverse batch {batch.batch_id}",
        "plan": plan,
        "total": format_credits_and_usd(plan.total_credits, " credits"),
        "clamped_total": format_credits_and_usd(plan.clamped_total_credits, " credits"),
        "form": form,
        "cancel_url": batch_url,
    }
    return TemplateResponse(request, "admin/audit/changebatch/reverse.html", context)
