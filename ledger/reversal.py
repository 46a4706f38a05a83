"""Undoing a batch: the opposite of each applied change, as a new batch the runner applies once."""

from collections.abc import Iterator
from dataclasses import dataclass, field

from bson import ObjectId
from django.conf import settings
from django.db import IntegrityError, transaction

from ledger import batch_ids
from ledger.changes import Kind, LedgerError, Target, add_targets, open_batch, run_batch
from ledger.models import BalanceChange, ChangeBatch
from ledger.plans import chunks
from ledger.runner import holding_lease
from ledger.tasks import queue_batch
from librechat.documents import credits_number
from librechat.queries import earliest_balances
from librechat.reservations import spendable

Status = BalanceChange.Status
BELOW_ZERO_SHOWN = 20


class BelowZero:
    """What to do when reversing would take a balance below 0 (LibreChat spent the credits since)."""

    CLAMP = "clamp"
    ALLOW_NEGATIVE = "allow_negative"
    CHOICES = [(CLAMP, "clamp at 0 (take back only what is left)"), (ALLOW_NEGATIVE, "allow negative balances")]


@dataclass
class ReversalPlan:
    batch: ChangeBatch
    user_count: int = 0
    total_credits: float = 0.0
    # What "clamp at 0" takes back: less than total_credits where balances were spent since.
    clamped_total_credits: float = 0.0
    below_zero_count: int = 0
    below_zero_examples: list[dict] = field(default_factory=list)
    below_holds: list[str] = field(default_factory=list)  # emails left with less than their in-flight holds
    refusal: str = ""


def reversal_batch_id(batch: ChangeBatch) -> str:
    # Deterministic, so a double submit resumes the one reversal instead of opening a second.
    return f"{batch_ids.REVERSE}{batch.pk}"


def refusal_for(batch: ChangeBatch) -> str:
    """Why this batch cannot be reversed now; empty when it can."""
    existing = ChangeBatch.objects.filter(reverses=batch).first()
    if existing is not None:
        return f"This batch was already reversed by batch {existing.batch_id}."
    counts = batch.progress()
    if counts[Status.PENDING] or batch.is_running:
        return "This batch is still being applied: let it finish (or stop) before reversing it."
    if counts[Status.REVIEW]:
        return "Some changes of this batch need review: settle them (resolve_review_changes) first."
    if not counts[Status.APPLIED]:
        return "Nothing of this batch was applied, so there is nothing to reverse."
    return ""


def plan_reversal(batch: ChangeBatch) -> ReversalPlan:
    """Users, total and how many balances would go below 0, read in chunks of users."""
    plan = ReversalPlan(batch, refusal=refusal_for(batch))
    if plan.refusal:
        return plan
    for chunk in chunks(_applied_changes(batch), settings.LEDGER_BATCH_SIZE):
        balances = earliest_balances(ObjectId(change.librechat_user_id) for change in chunk)
        for change in chunk:
            plan.user_count += 1
            plan.total_credits -= change.delta_credits
            if batch.kind == Kind.RECORD:
                plan.clamped_total_credits -= change.delta_credits
                continue
            document = balances.get(ObjectId(change.librechat_user_id), {})
            current = credits_number(document.get("tokenCredits", 0)) or 0
            if current - change.delta_credits < spendable(document).held_credits:
                plan.below_holds.append(change.email)
            # As the runner applies SUBTRACT_CLAMPED (ledger.writes.set_target) the rounded amount.
            plan.clamped_total_credits += max(0, current - round(change.delta_credits)) - current
            if current - change.delta_credits < 0:
                plan.below_zero_count += 1
                if len(plan.below_zero_examples) < BELOW_ZERO_SHOWN:
                    after = current - change.delta_credits
                    plan.below_zero_examples.append({"email": change.email, "current": current, "after": after})
    return plan


def reverse_batch(batch: ChangeBatch, *, actor: str, reason: str, below_zero: str = "") -> ChangeBatch:
    """Open (and run, or queue when large) the batch undoing `batch`; refused when it cannot be reversed.

    The batch's lease is held from the check to the link, so no run applies a change of it (a
    failed row retried) that the reversal would miss; once linked, runs apply nothing more of it.
    """
    with holding_lease(batch) as held:
        if not held:
            raise LedgerError("This batch is being applied right now: let it finish (or stop) before reversing it.")
        plan = plan_reversal(batch)
        if plan.refusal:
            raise LedgerError(plan.refusal)
        if plan.below_zero_count and below_zero not in (BelowZero.CLAMP, BelowZero.ALLOW_NEGATIVE):
            raise LedgerError(
                f"Reversing would take {plan.below_zero_count} balances below 0: "
                "choose to clamp at 0 or allow negative."
            )
        if batch.kind == Kind.RECORD:
            kind, sign = Kind.RECORD, -1
        elif below_zero == BelowZero.CLAMP:
            kind, sign = Kind.SUBTRACT_CLAMPED, 1
        else:
            kind, sign = Kind.ADD, -1
        reversal = _open_linked(batch, kind, actor, f"Reverses batch {batch.batch_id}: {reason}".strip(": "))
        # Whole credits: a set's recorded difference may carry LibreChat's fractional spending.
        add_targets(
            reversal,
            (
                Target(ObjectId(c.librechat_user_id), c.email, sign * round(c.delta_credits), c.reason)
                for c in _applied_changes(batch)
            ),
        )
    if plan.user_count >= settings.BACKGROUND_BATCH_MIN_USERS:
        queue_batch(reversal)
    else:
        run_batch(reversal)
    return reversal


def _open_linked(batch: ChangeBatch, kind: str, actor: str, reason: str) -> ChangeBatch:
    reversal = open_batch(
        kind=kind,
        amount_credits=None,
        source=ChangeBatch.Source.ADMIN,
        actor=actor,
        reason=reason,
        batch_id=reversal_batch_id(batch),
    )
    try:
        with transaction.atomic():
            ChangeBatch.objects.filter(pk=reversal.pk, reverses__isnull=True).update(reverses=batch)
    except IntegrityError as exc:  # another reversal of the same batch won the race
        raise LedgerError("This batch was already reversed.") from exc
    return reversal


def _applied_changes(batch: ChangeBatch) -> Iterator[BalanceChange]:
    # Changes that moved nothing (a set to the same value) have nothing to undo.
    applied = batch.changes.filter(status=Status.APPLIED).exclude(delta_credits=0).order_by("pk")
    return applied.iterator(chunk_size=settings.LEDGER_BATCH_SIZE)
