import uuid

from django.conf import settings
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import models
from django.forms import Textarea
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from librechat.credits import format_credits_and_usd
from policies.membership import members_of
from policies.models import Policy, PolicyRun
from policies.policy_file import policy_document
from policies.refill import balances_with_auto_refill, switch_off_auto_refill
from policies.runs import BATCH_PREFIX, apply_run, batches_of, claim_run, plan
from policies.schedule import next_run, next_runs, policy_zone
from policies.tasks import apply_run_in_background
from web.admin_lists import ListTitleMixin

RUN_NOW_SALT = "policies.admin.run_now"
REVIEW_MAX_AGE_SECONDS = 3600
RUNS_SHOWN = 10


@admin.register(Policy)
class PolicyAdmin(ListTitleMixin, admin.ModelAdmin):
    # What the policy does right after its name, so that it shows on a phone.
    list_display = ["name", "change", "active", "priority", "schedule", "upcoming"]
    list_filter = ["active", "action", "frequency"]
    search_fields = ["name", "notes"]
    fieldsets = [
        (None, {"fields": ["name", "priority", "active", "notes"]}),
        (
            "Who",
            {
                "fields": ["roles", "groups", "email_domains", "emails", "everyone_else"],
                "description": "A user belongs to the first active policy, by priority, that names them.",
            },
        ),
        ("What", {"fields": ["action", "amount_credits", "cap_credits", "start_allowance_credits"]}),
        (
            "When",
            {
                "fields": ["frequency", "time_of_day", "weekday", "month_day", "catch_up"],
                "description": f"Times are in {settings.POLICY_TIME_ZONE} (POLICY_TIME_ZONE). "
                "An edit takes effect from the next period.",
            },
        ),
    ]
    formfield_overrides = {models.TextField: {"widget": Textarea(attrs={"rows": 3, "cols": 60})}}

    @admin.display(description="change")
    def change(self, policy):
        return policy.describe_action()

    @admin.display(description="schedule")
    def schedule(self, policy):
        return policy.describe_schedule()

    @admin.display(description="next run")
    def upcoming(self, policy):
        return next_run(policy, timezone.now()).astimezone(policy_zone()).strftime("%Y-%m-%d %H:%M %Z")

    def get_urls(self):
        urls = [
            path("<int:pk>/run-now/", self.admin_site.admin_view(self.run_now_view), name="policies_policy_run_now"),
            path(
                "<int:pk>/auto-refill-off/",
                self.admin_site.admin_view(self.auto_refill_off_view),
                name="policies_policy_auto_refill_off",
            ),
        ]
        return urls + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        policy = Policy.objects.filter(pk=object_id).first() if object_id.isdigit() else None
        context = policy_context(policy) if policy else {}
        context["may_run"] = self.may_run(request)
        return super().change_view(request, object_id, form_url, {**context, **(extra_context or {})})

    def may_run(self, request) -> bool:
        return request.user.has_perm("policies.change_policy") and request.user.has_perm("balances.change_credits")

    def run_now_view(self, request, pk: int):
        if not self.may_run(request):
            raise PermissionDenied
        policy = get_object_or_404(Policy, pk=pk)
        if request.method == "POST":
            batch_token = request.POST.get("batch_token", "")
            problem = review_mismatch(request.POST.get("review_token", ""), policy, batch_token)
            if problem:
                messages.error(request, problem)
            else:
                return self.run_now(request, policy, batch_token)
        found = plan(policy)
        batch_token = uuid.uuid4().hex[:16]
        context = {
            **self.admin_site.each_context(request),
            "title": f"Run {policy.name} now",
            "opts": self.model._meta,
            "original": policy,
            "plan": found,
            "total": format_credits_and_usd(found.delta_credits, " credits"),
            "batch_token": batch_token,
            "review_token": signing.dumps(reviewed(policy, batch_token), salt=RUN_NOW_SALT),
        }
        return TemplateResponse(request, "admin/policies/policy/run_now.html", context)

    def run_now(self, request, policy: Policy, batch_token: str):
        run = claim_run(
            policy,
            batch_id=f"{BATCH_PREFIX}{policy.pk}-now-{batch_token}",
            period_begins=None,
            actor=request.user.get_username(),
        )
        policy_url = reverse("admin:policies_policy_change", args=[policy.pk])
        if plan_size(policy) >= settings.BACKGROUND_BATCH_MIN_USERS:
            apply_run_in_background.enqueue(run.pk)
            messages.info(request, f"Queued for the worker as batch {run.batch_id}; its progress shows below.")
            return HttpResponseRedirect(policy_url)
        report = apply_run(run, policy)
        level = messages.SUCCESS if report.outcome and report.outcome.complete else messages.ERROR
        messages.add_message(request, level, report.describe())
        batch = batches_of(policy.pk).filter(batch_id=run.batch_id).first()
        if batch is None:
            return HttpResponseRedirect(policy_url)
        return HttpResponseRedirect(reverse("admin:audit_changebatch_change", args=[batch.pk]))

    def auto_refill_off_view(self, request, pk: int):
        if request.method != "POST" or not request.user.has_perm("balances.change_balance"):
            raise PermissionDenied
        policy = get_object_or_404(Policy, pk=pk)
        switched, problems = switch_off_auto_refill(balances_with_auto_refill(policy), request.user.get_username())
        messages.success(request, f"Auto-refill switched off for {switched} member{'s' if switched != 1 else ''}.")
        for problem in problems:
            messages.error(request, f"Not switched off: {problem}")
        return HttpResponseRedirect(reverse("admin:policies_policy_change", args=[policy.pk]))


def plan_size(policy: Policy) -> int:
    return sum(1 for _ in members_of(policy))


def reviewed(policy: Policy, batch_token: str) -> dict:
    return {"policy": policy_document(policy), "pk": policy.pk, "batch": batch_token}


def review_mismatch(token: str, policy: Policy, batch_token: str) -> str | None:
    try:
        signed = signing.loads(token, salt=RUN_NOW_SALT, max_age=REVIEW_MAX_AGE_SECONDS)
    except signing.SignatureExpired:
        return "The review is more than an hour old: check the plan again, then run."
    except signing.BadSignature:
        return "This run was not reviewed: check the plan, then run."
    if signed != reviewed(policy, batch_token):
        return "The policy changed since the review: check the new plan, then run."
    return None


def policy_context(policy: Policy) -> dict:
    """The policy page's extras: the next runs, the next run's plan, the last runs, auto-refill members."""
    runs = list(PolicyRun.objects.filter(policy_pk=policy.pk)[:RUNS_SHOWN])
    batches = {batch.batch_id: batch for batch in batches_of(policy.pk).filter(batch_id__in=[r.batch_id for r in runs])}
    found = plan(policy)
    return {
        "next_runs": [begins.astimezone(policy_zone()) for begins in next_runs(policy, timezone.now(), 3)],
        "plan": found,
        "total": format_credits_and_usd(found.delta_credits, " credits"),
        "last_runs": [(run, batches.get(run.batch_id)) for run in runs],
        "auto_refill_balances": balances_with_auto_refill(policy),
    }
