"""The top-up and set actions shared by the balances and the users changelists.

Each runs in three posts to the changelist, as Django's own delete action does: choose the
amount, review the plan (how many users, the total change), then apply through the ledger.
"""

import uuid
from collections.abc import Iterable

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from audit.models import ChangeBatch
from balances.credits import format_credits_and_usd
from balances.forms import CreditChangeForm
from balances.ledger import Kind, LedgerError, Target, apply_batch, open_batch, planned_delta


class CreditActionsMixin:
    """Adds "top up" and "set balance" to a changelist; subclasses say which users a queryset means."""

    actions = ["top_up", "set_balance"]

    def targets_for(self, queryset) -> Iterable[Target]:
        raise NotImplementedError

    def has_change_credits_permission(self, request) -> bool:
        return request.user.has_perm("balances.change_credits")

    @admin.action(description="Top up selected users", permissions=["change_credits"])
    def top_up(self, request, queryset):
        return change_credits(self, request, queryset, Kind.ADD)

    @admin.action(description="Set balance of selected users", permissions=["change_credits"])
    def set_balance(self, request, queryset):
        return change_credits(self, request, queryset, Kind.SET)


def change_credits(model_admin, request, queryset, kind: str):
    step = request.POST.get("step")
    select_across = request.POST.get("select_across") == "1"
    if kind == Kind.SET and select_across and not request.user.is_superuser:
        model_admin.message_user(request, "Only superusers may set the balance of all users.", messages.ERROR)
        return None
    if step is None:
        form = CreditChangeForm(kind=kind, initial={"batch_id": uuid.uuid4().hex})
        return render_step(model_admin, request, queryset, form, kind, "choose")
    form = CreditChangeForm(request.POST, kind=kind)
    if not form.is_valid():
        return render_step(model_admin, request, queryset, form, kind, "choose")
    targets = list({target.user_id: target for target in model_admin.targets_for(queryset)}.values())
    if not targets:
        model_admin.message_user(request, "No LibreChat users are selected.", messages.WARNING)
        return None
    amount = form.cleaned_data["amount_credits"]
    needs_typed_count = len(targets) > settings.BULK_CONFIRM_THRESHOLD
    typed_count_ok = not needs_typed_count or form.cleaned_data.get("confirm_count") == len(targets)
    if step != "apply" or not typed_count_ok:
        if step == "apply":
            form.add_error("confirm_count", f"Type {len(targets)} to confirm.")
        user_count, delta_credits = planned_delta(kind, ((target.user_id, amount) for target in targets))
        plan = {"user_count": user_count, "delta_credits": delta_credits}
        return render_step(model_admin, request, queryset, form, kind, "review", plan, needs_typed_count)
    try:
        batch = open_batch(
            kind=kind,
            amount_credits=amount,
            source=ChangeBatch.Source.ADMIN,
            actor=request.user.get_username(),
            reason=form.cleaned_data["reason"],
            batch_id=form.cleaned_data["batch_id"],
        )
    except LedgerError as exc:
        model_admin.message_user(request, str(exc), messages.ERROR)
        return None
    outcome = apply_batch(batch, targets)
    report_outcome(model_admin, request, outcome)
    return None


def report_outcome(model_admin, request, outcome) -> None:
    verb = "Added" if outcome.batch.kind == Kind.ADD else "Changed"
    if outcome.applied_count:
        model_admin.message_user(
            request,
            f"{verb} {format_credits_and_usd(outcome.delta_credits, ' credits')} "
            f"for {outcome.applied_count} users (batch {outcome.batch.batch_id}).",
            messages.SUCCESS,
        )
    if outcome.already_applied_count:
        model_admin.message_user(
            request, f"{outcome.already_applied_count} users already had this change; not applied again.", messages.INFO
        )
    for problem in outcome.failed + outcome.needs_review:
        model_admin.message_user(request, f"Not applied to {problem.email}: {problem.error}", messages.ERROR)


def render_step(model_admin, request, queryset, form, kind, step, plan=None, needs_typed_count=False):
    opts = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Top up balances" if kind == Kind.ADD else "Set balances",
        "opts": opts,
        "form": form,
        "kind": kind,
        "step": step,
        "plan": plan,
        "needs_typed_count": needs_typed_count,
        "action": request.POST.get("action"),
        "select_across": request.POST.get("select_across", "0"),
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "selection_count": queryset.count(),
        "format_delta": plan and format_credits_and_usd(plan["delta_credits"], " credits"),
    }
    return TemplateResponse(request, "admin/balances/change_credits.html", context)
