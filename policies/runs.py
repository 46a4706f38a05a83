"""Applying a policy: one ledger batch per period, with a batch id made from the period, so it runs once.

A run is claimed first (a PolicyRun row, unique by batch id) with the change as the policy says
at that moment, so an edit takes effect next period and a resumed run repeats exactly what it
began. The batch then gets the members as pending changes (repeatable: the ledger keeps one
change per user and batch) and is applied; a killed or refused run is finished by the next tick.
"""

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bson import ObjectId
from django.conf import settings
from django.db import IntegrityError
from django.db.models import Q
from pymongo.errors import PyMongoError

from ledger.changes import (
    BatchOutcome,
    Kind,
    LedgerError,
    PlannedChange,
    Status,
    Target,
    open_batch,
    planned_changes,
    run_batch,
)
from ledger.models import BalanceChange, ChangeBatch
from ledger.plans import chunks
from librechat.credits import format_credits
from librechat.documents import credits_number
from librechat.mongo import describe_mongo_error
from policies.membership import members_of
from policies.models import Policy, PolicyRun
from policies.schedule import period_starts_between, policy_zone

logger = logging.getLogger(__name__)

BATCH_PREFIX = "policy-"
SCHEDULER_ACTOR = "policy scheduler"
# Catching up never walks back further than this many periods (a daily policy down for years).
MAX_MISSED_PERIODS = 1000
PLAN_USERS_SHOWN = 20


def period_batch_id(policy_pk: int, begins: datetime) -> str:
    return f"{BATCH_PREFIX}{policy_pk}-{begins.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}"


def start_batch_id(policy_pk: int) -> str:
    return f"{BATCH_PREFIX}{policy_pk}-start"


def batches_of(policy_pk: int):
    """The ledger batches a policy made, newest first (they outlive the policy)."""
    return ChangeBatch.objects.filter(batch_id__startswith=f"{BATCH_PREFIX}{policy_pk}-")


@dataclass(frozen=True)
class Planned:
    """One member's change: the target as the ledger gets it (with its own amount for a capped add)."""

    target: Target
    change: PlannedChange


def planned_members(kind: str, amount: int, cap: int | None, targets: Iterable[Target]) -> Iterator[Planned]:
    """Each target's before and after, read now; a capped add leaves out users already at the cap."""
    for chunk in chunks(targets, settings.LEDGER_BATCH_SIZE):
        for target, change in zip(chunk, planned_changes(kind, amount, chunk), strict=True):
            if cap is None:
                yield Planned(target, change)
                continue
            current = credits_number(0 if change.before_credits is None else change.before_credits)
            if current is None:  # the ledger refuses it and reports it
                yield Planned(Target(target.user_id, target.email, amount), change)
                continue
            added = min(amount, cap - current)
            if added >= 1:
                after = PlannedChange(target.email, change.before_credits, current + int(added))
                yield Planned(Target(target.user_id, target.email, int(added)), after)


@dataclass
class Plan:
    """What a run would do now, as the bulk review shows it."""

    user_count: int = 0
    delta_credits: float = 0.0
    first_changes: list[PlannedChange] = field(default_factory=list)
    lowered_count: int = 0
    lowered: list[PlannedChange] = field(default_factory=list)
    invalid: list[PlannedChange] = field(default_factory=list)

    @property
    def more_count(self) -> int:
        return max(0, self.user_count - len(self.first_changes))


def plan(policy: Policy) -> Plan:
    """The next run of `policy` as it would go right now: members, before -> after, total, who is lowered."""
    found = Plan()
    kind, amount = policy.ledger_kind, policy.ledger_amount
    for planned in planned_members(kind, amount, policy.cap_credits, members_of(policy)):
        change = planned.change
        found.user_count += 1
        if len(found.first_changes) < PLAN_USERS_SHOWN:
            found.first_changes.append(change)
        if change.after_credits is None:
            found.invalid.append(change)
            continue
        before = credits_number(change.before_credits or 0)
        found.delta_credits += change.after_credits - before
        if change.after_credits < before:
            found.lowered_count += 1
            if len(found.lowered) < PLAN_USERS_SHOWN:
                found.lowered.append(change)
    return found


@dataclass
class RunReport:
    """One run of one batch, for a command's output or an admin message."""

    run: PolicyRun
    outcome: BatchOutcome | None = None
    error: str = ""

    def describe(self) -> str:
        if self.error:
            return f"{self.run.batch_id}: not applied: {self.error}"
        outcome = self.outcome
        if outcome.busy:
            return f"{self.run.batch_id}: another process is applying it"
        text = f"{self.run.batch_id}: {outcome.applied_count} applied"
        if outcome.already_applied_count:
            text += f", {outcome.already_applied_count} applied before"
        if outcome.failed_count:
            text += f", {outcome.failed_count} refused"
        if outcome.pending_count:
            text += f", {outcome.pending_count} pending ({outcome.stopped_reason or 'resumes next time'})"
        return text


def claim_run(
    policy: Policy,
    *,
    batch_id: str,
    period_begins: datetime | None,
    actor: str,
    note: str = "",
    start_allowance: bool = False,
) -> PolicyRun:
    """The run with this batch id, claimed now with the policy's current change if new."""
    if start_allowance:
        # One batch for every newcomer ever: its header must not change with the policy's edits.
        change = {"kind": Kind.ADD, "amount_credits": None, "cap_credits": None}
        reason, targets_added = f"Start allowances of policy #{policy.pk}", True
    else:
        change = {"kind": policy.ledger_kind, "amount_credits": policy.ledger_amount, "cap_credits": policy.cap_credits}
        when = f" for the period from {period_begins.astimezone(policy_zone()).isoformat()}" if period_begins else ""
        reason = f"Policy {policy.name}: {policy.describe_action()}{when or ' (run now)'}"
        targets_added = False
    try:
        run, _ = PolicyRun.objects.get_or_create(
            batch_id=batch_id,
            defaults={
                "policy_pk": policy.pk,
                "policy_name": policy.name,
                "period_start": period_begins,
                **change,
                "actor": actor[:150],
                "reason": reason + (f"; {note}" if note else ""),
                "targets_added": targets_added,
            },
        )
    except IntegrityError:  # another worker claimed it between our read and insert
        run = PolicyRun.objects.get(batch_id=batch_id)
    return run


def apply_run(run: PolicyRun, policy: Policy | None) -> RunReport:
    """Open the run's batch with its members (once) and apply it; safe to repeat at any point."""
    capped = run.cap_credits is not None
    if policy is None and not run.targets_added:  # deleted mid-run: apply what the batch holds
        PolicyRun.objects.filter(pk=run.pk).update(targets_added=True)
        run.targets_added = True
    try:
        if run.targets_added:
            batch = ChangeBatch.objects.get(batch_id=run.batch_id)
        else:
            targets = members_of(policy)
            if capped:  # each user's amount depends on the balance, read now
                planned = planned_members(run.kind, run.amount_credits, run.cap_credits, targets)
                targets = (member.target for member in planned)
            batch = open_batch(
                kind=run.kind,
                amount_credits=None if capped else run.amount_credits,
                source=ChangeBatch.Source.POLICY,
                actor=run.actor,
                reason=run.reason,
                batch_id=run.batch_id,
                targets=targets,
            )
            PolicyRun.objects.filter(pk=run.pk).update(targets_added=True)
            run.targets_added = True
        outcome = run_batch(batch, retry_failed=False)
    except ChangeBatch.DoesNotExist:
        return RunReport(run, error="its policy was deleted before the batch opened")
    except LedgerError as exc:
        return RunReport(run, error=str(exc))
    except PyMongoError as exc:
        return RunReport(run, error=describe_mongo_error(exc))
    report = RunReport(run, outcome)
    logger.info("policy run %s", report.describe())
    return report


def due_periods(policy: Policy, now: datetime) -> tuple[list[datetime], int]:
    """(period beginnings to run now, how many missed ones are skipped): the latest not yet claimed,
    or with `catch_up` every missed one, never one that began before the policy was switched on."""
    last = PolicyRun.objects.filter(policy_pk=policy.pk, period_start__isnull=False).order_by("-period_start").first()
    since = policy.active_since if last is None else max(policy.active_since, last.period_start + timedelta(seconds=1))
    missed = period_starts_between(policy, since, now, MAX_MISSED_PERIODS)
    if policy.catch_up or len(missed) <= 1:
        return missed, 0
    return missed[-1:], len(missed) - 1


def run_due_policies(now: datetime, *, names: Iterable[str] | None = None) -> list[RunReport]:
    """Finish unfinished runs, then run each active policy's due periods and start allowances."""
    reports = [apply_run(run, Policy.objects.filter(pk=run.policy_pk).first()) for run in unfinished_runs()]
    policies = Policy.objects.filter(active=True)
    if names is not None:
        policies = policies.filter(name__in=list(names))
    for policy in policies:
        periods, skipped = due_periods(policy, now)
        for begins in periods:
            note = f"{skipped} earlier missed period{'s' if skipped != 1 else ''} skipped" if skipped else ""
            run = claim_run(
                policy,
                batch_id=period_batch_id(policy.pk, begins),
                period_begins=begins,
                actor=SCHEDULER_ACTOR,
                note=note,
            )
            reports.append(apply_run(run, policy))
        if policy.start_allowance_credits and (report := give_start_allowances(policy)):
            reports.append(report)
    return reports


def unfinished_runs() -> list[PolicyRun]:
    """Runs whose batch never got all its members, or still has pending changes (a crash, an outage)."""
    pending = BalanceChange.objects.filter(status=Status.PENDING, batch__batch_id__startswith=BATCH_PREFIX).values_list(
        "batch__batch_id", flat=True
    )
    return list(PolicyRun.objects.filter(Q(targets_added=False) | Q(batch_id__in=pending)).order_by("pk"))


def give_start_allowances(policy: Policy) -> RunReport | None:
    """Add the start allowance to members newer than the policy who never had it (once per user, ever);
    None when there is nobody new."""
    batch_id = start_batch_id(policy.pk)
    already = set(BalanceChange.objects.filter(batch__batch_id=batch_id).values_list("librechat_user_id", flat=True))
    # An ObjectId holds whole seconds: users from the policy's own second are left out, so no one
    # who existed before the policy ever gets it.
    first_second = policy.created_at.replace(microsecond=0) + timedelta(seconds=1)
    newer = {"_id": {"$gte": ObjectId.from_datetime(first_second)}}
    amount = policy.start_allowance_credits
    reason = f"Start allowance of {policy.name}: {format_credits(amount)}"
    try:
        targets = [
            Target(target.user_id, target.email, amount, reason)
            for target in members_of(policy, newer)
            if str(target.user_id) not in already
        ]
    except PyMongoError as exc:
        logger.warning("start allowances of policy %s: %s", policy.pk, describe_mongo_error(exc))
        return None
    if not targets:
        return None
    run = claim_run(policy, batch_id=batch_id, period_begins=None, actor=SCHEDULER_ACTOR, start_allowance=True)
    try:
        batch = open_batch(
            kind=run.kind,
            amount_credits=None,
            source=ChangeBatch.Source.POLICY,
            actor=run.actor,
            reason=run.reason,
            batch_id=batch_id,
            targets=targets,
        )
        return RunReport(run, run_batch(batch))
    except LedgerError as exc:
        return RunReport(run, error=str(exc))
    except PyMongoError as exc:
        return RunReport(run, error=describe_mongo_error(exc))
