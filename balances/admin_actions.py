"""The top-up and set actions shared by the balances and the users changelists.

Each runs in three posts to the changelist, as Django's own delete action does: choose the
amount, review the plan (who, how much, the total), then apply through the ledger. The review
page carries a signed token of exactly what was reviewed; apply refuses anything else.
Batches of BACKGROUND_BATCH_MIN_USERS or more go to the worker and the batch page shows progress.
Each row of the lists has "Top up" and "Set" buttons that run the same steps for that one user.
"""

import hashlib
import itertools
import uuid
from collections.abc import Iterable

from bson import ObjectId
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from balances.forms import CreditChangeForm
from ledger.changes import (
    BatchOutcome,
    Kind,
    LedgerError,
    Target,
    left_below_holds,
    open_batch,
    planned_changes,
    planned_delta,
    run_batch,
)
from ledger.models import ChangeBatch
from ledger.tasks import queue_batch
from librechat.credits import format_count, format_credits_and_usd
from librechat.queries import earliest_balances
from tenancy.admin_lists import scope_of
from tenancy.scope import outside_scope
from web.admin_lists import link_buttons, list_url, return_url

REVIEW_SALT = "balances.admin_actions.review"
REVIEW_MAX_AGE_SECONDS = 3600
PLAN_USERS_SHOWN = 20
CHOSEN_USERS_SHOWN = 5
# The row buttons' actions, by the name the bulk actions have.
ROW_ACTIONS = {"top_up": Kind.ADD, "set_balance": Kind.SET}
# A no-break space: the narrow column stacks the two buttons rather than breaking "Top up" in two.
ROW_BUTTONS = [("top_up", "Top\u00a0up"), ("set_balance", "Set")]


class CreditActionsMixin:
    """Adds "top up" and "set balance" to a changelist; subclasses say which users a queryset means."""

    actions = ["top_up", "set_balance"]

    def targets_for(self, queryset) -> Iterable[Target]:
        raise NotImplementedError

    def has_change_credits_permission(self, request) -> bool:
        return request.user.has_perm("balances.change_credits")

    def response_action(self, request, queryset):
        # A tampered selection would otherwise reach MongoDB as an invalid ObjectId (a 500).
        if not all(ObjectId.is_valid(pk) for pk in request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)):
            self.message_user(request, "The selection holds an id that is not a LibreChat id.", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)

    def get_urls(self):
        opts = self.model._meta
        view = self.admin_site.admin_view(self.change_credits_of_one_view)
        url = path("<str:object_id>/credits/<str:action>/", view, name=f"{opts.app_label}_{opts.model_name}_credits")
        return [url, *super().get_urls()]

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown if self.has_change_credits_permission(request) else [c for c in shown if c != "row_actions"]

    @admin.display(description="change")
    def row_actions(self, obj):
        opts = self.model._meta
        name = f"admin:{opts.app_label}_{opts.model_name}_credits"
        links = [(reverse(name, args=[obj.pk, action]), label) for action, label in ROW_BUTTONS]
        return link_buttons(links, getattr(obj, "list_path", ""))

    def change_credits_of_one_view(self, request, object_id, action):
        """A row's "Top up" or "Set": the bulk action's steps for that one row, then back to the list."""
        if action not in ROW_ACTIONS:
            raise Http404
        if not self.has_change_credits_permission(request):
            raise PermissionDenied
        obj = self.get_object(request, object_id)
        if obj is None:
            self.message_user(request, f"There is no {self.model._meta.verbose_name} {object_id!r}.", messages.WARNING)
            return HttpResponseRedirect(list_url(self, request))
        queryset = self.get_queryset(request).filter(pk=obj.pk)
        response = change_credits(self, request, queryset, ROW_ACTIONS[action])
        return response or HttpResponseRedirect(return_url(request) or list_url(self, request))

    @admin.action(description="Top up selected users", permissions=["change_credits"])
    def top_up(self, request, queryset):
        return change_credits(self, request, queryset, Kind.ADD)

    @admin.action(description="Set balance of selected users", permissions=["change_credits"])
    def set_balance(self, request, queryset):
        return change_credits(self, request, queryset, Kind.SET)


def selects_all_matching(request) -> bool:
    """Whether the post means every row matching the filter, read exactly as Django's admin reads it."""
    field = helpers.ActionForm.base_fields["select_across"]
    return bool(field.clean(field.to_python(request.POST.get("select_across"))))


def may_change_all_matching(request, kind: str) -> bool:
    """Setting every matching user's balance is for superusers; top-ups of all matching are for operators."""
    return kind != Kind.SET or request.user.is_superuser


def change_credits(model_admin, request, queryset, kind: str):
    if selects_all_matching(request) and not may_change_all_matching(request, kind):
        model_admin.message_user(request, "Only superusers may set the balance of all matching users.", messages.ERROR)
        return None
    step = request.POST.get("step")
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
    # The lists hold only the staff account's tenants; this also refuses a hand-made selection.
    outside = outside_scope((target.user_id for target in targets), scope_of(request))
    if outside:
        message = f"Not in your tenants: {format_count(len(outside), 'user')} of the selection; nothing was changed."
        model_admin.message_user(request, message, messages.ERROR)
        return None
    reviewed = reviewed_change(kind, form.cleaned_data, targets)
    if step == "apply":
        problem = review_mismatch(request.POST.get("review_token", ""), reviewed)
        if problem:
            messages.error(request, problem)
        elif len(targets) > settings.BULK_CONFIRM_THRESHOLD and form.cleaned_data["confirm_count"] != str(len(targets)):
            form.add_error("confirm_count", f"Type {len(targets)} to confirm.")
        else:
            return apply_reviewed(model_admin, request, form, kind, targets)
    user_count, delta_credits = planned_delta(kind, ((target.user_id, reviewed["amount"]) for target in targets))
    plan = {
        "user_count": user_count,
        # A user's duplicate balance documents are one user: the list counted rows, the plan counts users.
        "row_count": queryset.count(),
        "delta_credits": delta_credits,
        "targets": targets,
        "first_changes": planned_changes(kind, reviewed["amount"], targets[:PLAN_USERS_SHOWN]),
        "more_count": max(0, len(targets) - PLAN_USERS_SHOWN),
        "below_holds": left_below_holds(kind, reviewed["amount"], targets),
    }
    token = signing.dumps(reviewed, salt=REVIEW_SALT)
    return render_step(model_admin, request, queryset, form, kind, "review", plan, token)


def reviewed_change(kind: str, cleaned_data: dict, targets: list[Target]) -> dict:
    """Everything apply must match: the kind, amount, reason, batch id and the exact users."""
    user_ids = "\n".join(sorted(str(target.user_id) for target in targets))
    return {
        "kind": kind,
        "amount": cleaned_data["amount"],
        "reason": cleaned_data["reason"],
        "batch_id": cleaned_data["batch_id"],
        "users": hashlib.sha256(user_ids.encode()).hexdigest(),
    }


def review_mismatch(token: str, reviewed: dict) -> str | None:
    """None when the token vouches for exactly this change; otherwise why it must be reviewed again."""
    try:
        signed = signing.loads(token, salt=REVIEW_SALT, max_age=REVIEW_MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        return "The review is more than an hour old: check the plan again, then apply."
    except signing.BadSignature:
        return "This change was not reviewed: check the plan, then apply."
    if signed != reviewed:
        return "The change or the selected users differ from what was reviewed: check the new plan, then apply."
    return None


def apply_reviewed(model_admin, request, form, kind: str, targets: list[Target]):
    try:
        batch = open_batch(
            kind=kind,
            amount_credits=form.cleaned_data["amount"],
            source=ChangeBatch.Source.ADMIN,
            actor=request.user.get_username(),
            reason=form.cleaned_data["reason"],
            batch_id=form.cleaned_data["batch_id"],
            targets=targets,
        )
    except LedgerError as exc:
        model_admin.message_user(request, str(exc), messages.ERROR)
        return None
    if len(targets) >= settings.BACKGROUND_BATCH_MIN_USERS:
        if not batch.in_background:
            queue_batch(batch)
        messages.info(request, format_html("{} queued: {}.", format_count(len(targets), "user"), batch_link(batch)))
        return HttpResponseRedirect(reverse("admin:audit_changebatch_change", args=[batch.pk]))
    report_outcome(model_admin, request, run_batch(batch, retry_failed=True))
    # Back to the page the change started from (a user's page, a filtered list), which shows the new balance.
    return HttpResponseRedirect(return_url(request) or list_url(model_admin, request))


def chosen_users(model_admin, queryset) -> list[dict]:
    """The first few selected users with their balance now, for the amount step."""
    first = list(itertools.islice(model_admin.targets_for(queryset), CHOSEN_USERS_SHOWN))
    balances = earliest_balances(target.user_id for target in first)
    return [
        {
            "email": target.email,
            "credits": balances.get(target.user_id, {}).get("tokenCredits"),
            "has_balance": target.user_id in balances,
        }
        for target in first
    ]


def report_outcome(model_admin, request, outcome: BatchOutcome) -> None:
    link = batch_link(outcome.batch)
    if outcome.busy:
        model_admin.message_user(
            request, format_html("This change is being applied right now: see {}.", link), messages.INFO
        )
        return
    verb = "Added" if outcome.batch.kind == Kind.ADD else "Changed"
    if outcome.applied_count:
        total = format_credits_and_usd(outcome.delta_credits, " credits")
        message = format_html("{} {} for {} ({}).", verb, total, format_count(outcome.applied_count, "user"), link)
        model_admin.message_user(request, message, messages.SUCCESS)
    if outcome.already_applied_count:
        model_admin.message_user(
            request,
            f"{format_count(outcome.already_applied_count, 'user')} already had this change; not applied again.",
            messages.INFO,
        )
    for problem in outcome.problems:
        model_admin.message_user(request, f"Not applied to {problem.email}: {problem.error}", messages.ERROR)
    if outcome.stopped_reason:
        model_admin.message_user(
            request,
            format_html("Stopped: {} The rest is applied when {} resumes.", outcome.stopped_reason, link),
            messages.ERROR,
        )


def batch_link(batch: ChangeBatch) -> str:
    url = reverse("admin:audit_changebatch_change", args=[batch.pk])
    return format_html('<a href="{}">batch {}</a>', url, batch.batch_id)


def render_step(model_admin, request, queryset, form, kind, step, plan=None, review_token=""):
    opts = model_admin.model._meta
    targets = (plan or {}).get("targets", [])
    selection_count = len(targets) if plan else queryset.count()
    shown = [] if plan else chosen_users(model_admin, queryset)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Top up balances" if kind == Kind.ADD else "Set balances",
        "opts": opts,
        "form": form,
        "kind": kind,
        "step": step,
        "plan": plan,
        "review_token": review_token,
        "needs_typed_count": len(targets) > settings.BULK_CONFIRM_THRESHOLD,
        "action": "top_up" if kind == Kind.ADD else "set_balance",
        "select_across": request.POST.get("select_across", "0"),
        "selects_all_matching": selects_all_matching(request),
        "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "selection_count": selection_count,
        "chosen_users": shown,
        "more_chosen_count": max(0, selection_count - len(shown)),
        "format_delta": plan and format_credits_and_usd(plan["delta_credits"], " credits"),
        "next": return_url(request),
        "cancel_url": return_url(request) or list_url(model_admin, request),
    }
    return TemplateResponse(request, "admin/balances/change_credits.html", context)
