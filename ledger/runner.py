"""Batches: opened once with their targets, applied by one runner at a time, resumable by id."""

import os
import re
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bson import ObjectId
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone
from pymongo.errors import PyMongoError

from ledger.log import log_balance_change
from ledger.models import BalanceChange, ChangeBatch
from ledger.plans import Target, chunks, clean_amount
from ledger.writes import apply_adds, apply_records, apply_set
from librechat.mongo import connection_failure_behind, describe_mongo_error

Kind = ChangeBatch.Kind
Status = BalanceChange.Status
BATCH_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,64}", re.ASCII)
# Stop after this many MongoDB failures in a row instead of waiting out a timeout per user.
MAX_CONSECUTIVE_MONGO_ERRORS = 3
PROBLEMS_SHOWN = 50
# Kinds applied a chunk at a time; the compare-and-set kinds go one user at a time.
CHUNKED_KINDS = {Kind.ADD: apply_adds, Kind.RECORD: apply_records}


class LedgerError(Exception):
    """A request the ledger refuses or could not finish; the message is meant for the person who asked."""


class MongoUnavailableError(LedgerError):
    """LibreChat's MongoDB stopped answering; what was not applied stays pending for a resume."""


@dataclass
class BatchOutcome:
    """What one run of a batch did. Successes are counted, not kept, so 100,000 users stay small."""

    batch: ChangeBatch
    applied_count: int = 0
    already_applied_count: int = 0
    delta_credits: float = 0.0
    failed_count: int = 0
    pending_count: int = 0
    review_count: int = 0
    stopped_reason: str = ""
    mongo_unavailable: bool = False
    # Another process holds the batch's lease and is applying it now: `holder` says which
    # (as `describe_lease_owner` words it) and `held_until` when its lease lapses unless renewed.
    busy: bool = False
    holder: str = ""
    held_until: datetime | None = None
    problems: list[BalanceChange] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not (self.busy or self.failed_count or self.pending_count or self.review_count)


def open_batch(
    *,
    kind: str,
    amount_credits: int | None,
    source: str,
    actor: str,
    reason: str = "",
    batch_id: str | None = None,
    fingerprint: str = "",
    targets: Iterable[Target] = (),
) -> ChangeBatch:
    """The batch with this id, created if new, with a pending change for each target it lacks.

    `amount_credits` None means every target brings its own amount. Reusing an id for another
    operation (kind, amount, source, actor, reason or fingerprint) is refused.
    """
    if amount_credits is not None:
        clean_amount(amount_credits, kind)
    batch_id = batch_id or uuid.uuid4().hex
    if not BATCH_ID_PATTERN.fullmatch(batch_id):
        raise LedgerError("A batch id is 1 to 64 letters, digits, dots, dashes, colons or underscores.")
    wanted = {
        "kind": kind,
        "amount_credits": amount_credits,
        "source": source,
        "actor": actor[:150],
        "reason": reason,
        "fingerprint": fingerprint,
    }
    batch, _ = ChangeBatch.objects.get_or_create(batch_id=batch_id, defaults=wanted)
    differences = [name for name, value in wanted.items() if getattr(batch, name) != value]
    if differences == ["fingerprint"]:
        raise LedgerError(
            f"Batch id {batch_id!r} belongs to other targets (another file or selection); "
            "resume it with the original, or use a new id."
        )
    if differences:
        raise LedgerError(
            f"Batch id {batch_id!r} was already used for another operation ({batch}); "
            "repeat exactly that operation to resume it, or use a new id."
        )
    if reversal := reversed_by(batch):
        raise LedgerError(
            f"Batch {batch_id!r} was reversed by batch {reversal.batch_id}: it takes no more changes; use a new id."
        )
    add_targets(batch, targets)
    return batch


def reversed_by(batch: ChangeBatch) -> ChangeBatch | None:
    """The batch that reversed this one; a reversed batch applies nothing more, which it could never undo."""
    return ChangeBatch.objects.filter(reverses=batch).first()


def add_targets(batch: ChangeBatch, targets: Iterable[Target]) -> None:
    """A pending change for each target the batch does not have yet (in bounded chunks)."""
    for chunk in chunks(targets, settings.LEDGER_BATCH_SIZE):
        new_changes = [
            BalanceChange(
                batch=batch,
                librechat_user_id=str(target.user_id),
                email=target.email,
                requested_credits=batch.amount_credits if target.amount_credits is None else target.amount_credits,
                reason=target.reason,
                transaction_id=str(ObjectId()),
            )
            for target in chunk
        ]
        # Parallel submits of one batch: the unique (batch, user) constraint keeps the first row.
        BalanceChange.objects.bulk_create(new_changes, ignore_conflicts=True)


def run_batch(
    batch: ChangeBatch,
    *,
    chunk_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    retry_failed: bool = False,
) -> BatchOutcome:
    """Apply the batch's pending changes; a second runner at the same time returns `busy` at once."""
    lease = _Lease(batch)
    if not lease.take():
        return _summarize(BatchOutcome(batch, busy=True))
    outcome = BatchOutcome(batch)
    try:
        # Checked under the lease, which a reversal holds while it links itself (ledger.reversal).
        if reversal := reversed_by(batch):
            outcome.stopped_reason = f"Reversed by batch {reversal.batch_id}: nothing more is applied."
            return _summarize(outcome)
        if retry_failed:
            batch.changes.filter(status=Status.FAILED).update(status=Status.PENDING, error="")
        outcome.already_applied_count = batch.changes.filter(status=Status.APPLIED).count()
        _apply_pending(batch, outcome, lease, chunk_size or settings.LEDGER_BATCH_SIZE, progress)
    finally:
        lease.release(outcome.stopped_reason)
    return _summarize(outcome)


@contextmanager
def holding_lease(batch: ChangeBatch) -> Iterator[bool]:
    """The batch's lease for a short step outside a run; yields False while a runner holds it."""
    lease = _Lease(batch)
    taken = lease.take()
    try:
        yield taken
    finally:
        if taken:
            lease.release(batch.stopped_reason)


def change_one(
    target: Target,
    *,
    kind: str,
    amount_credits: int,
    source: str,
    actor: str,
    reason: str = "",
    batch_id: str | None = None,
) -> BalanceChange:
    """Apply one change to one user; the same `batch_id` again returns the first result.

    The batch belongs to this user: the same id for another user is refused, so it never resumes
    (and applies) a change someone else asked for.
    """
    batch = open_batch(
        kind=kind,
        amount_credits=amount_credits,
        source=source,
        actor=actor,
        reason=reason,
        batch_id=batch_id,
        fingerprint=f"user:{target.user_id}",
        targets=[target],
    )
    outcome = run_batch(batch, retry_failed=True)
    change = batch.changes.get(librechat_user_id=str(target.user_id))
    deadline = time.monotonic() + 10
    while outcome.busy and change.status == Status.PENDING and time.monotonic() < deadline:
        time.sleep(0.05)  # another request is applying this very batch: wait for its answer
        change.refresh_from_db()
    if change.status == Status.FAILED:
        raise LedgerError(f"{target.email}: {change.error}")
    if change.status != Status.APPLIED:
        error_class = MongoUnavailableError if outcome.mongo_unavailable else LedgerError
        reason = outcome.stopped_reason or change.error or "another process is applying it"
        raise error_class(f"{target.email}: not applied yet ({reason}). Retry with batch id {batch.batch_id}.")
    return change


def _apply_pending(batch, outcome, lease, chunk_size, progress) -> None:
    last_pk, consecutive_errors = 0, 0
    while chunk := list(batch.changes.filter(status=Status.PENDING, pk__gt=last_pk).order_by("pk")[:chunk_size]):
        last_pk = chunk[-1].pk
        chunked = batch.kind in CHUNKED_KINDS
        for group in [chunk] if chunked else [[change] for change in chunk]:
            if not lease.renew():
                outcome.stopped_reason = "Another process took over this batch."
                return
            try:
                CHUNKED_KINDS[batch.kind](group) if chunked else apply_set(group[0], batch.kind)
                consecutive_errors = 0
            except (PyMongoError, DatabaseError) as exc:
                if not isinstance(exc, PyMongoError) and connection_failure_behind(exc) is None:
                    raise  # our own database: nothing sensible to do but stop loudly
                consecutive_errors += 1
                failure = connection_failure_behind(exc)
                message = describe_mongo_error(failure) if failure else f"MongoDB refused the write: {exc}"
                BalanceChange.objects.filter(pk__in=[c.pk for c in group], status=Status.PENDING).update(error=message)
                if consecutive_errors >= MAX_CONSECUTIVE_MONGO_ERRORS or len(chunk) == 1:
                    outcome.stopped_reason, outcome.mongo_unavailable = message, failure is not None
                    return
                continue
            outcome.applied_count += sum(change.status == Status.APPLIED for change in group)
            outcome.delta_credits += sum(c.delta_credits or 0 for c in group if c.status == Status.APPLIED)
            for change in group:
                if change.status != Status.PENDING:
                    log_balance_change(change)
        if progress:
            progress(len(chunk))


def _summarize(outcome: BatchOutcome) -> BatchOutcome:
    counts = outcome.batch.progress()
    outcome.failed_count, outcome.pending_count = counts[Status.FAILED], counts[Status.PENDING]
    outcome.review_count = counts[Status.REVIEW]
    if outcome.busy:
        outcome.already_applied_count = counts[Status.APPLIED]
        owner, outcome.held_until = (
            ChangeBatch.objects.filter(pk=outcome.batch.pk).values_list("lease_owner", "lease_expires_at").get()
        )
        outcome.holder = describe_lease_owner(owner)
    if not outcome.complete and not outcome.busy:
        unfinished = outcome.batch.changes.exclude(status=Status.APPLIED).order_by("pk")
        outcome.problems = list(unfinished[:PROBLEMS_SHOWN])
    return outcome


def describe_lease_owner(owner: str) -> str:
    """`process 1234 on host web-1` for a lease owner, as said to the person waiting for it."""
    host, _, pid = _parse_owner(owner)
    return f"process {pid} on host {host}" if host else "another process"


def _this_host() -> str:
    # Containers of one compose project may share a hostname but not their process ids: the pid
    # namespace tells apart hosts whose process ids mean different processes.
    try:
        namespace = os.readlink("/proc/self/ns/pid").removeprefix("pid:")
    except OSError:
        namespace = ""
    return f"{socket.gethostname()[:50]}{namespace}"


def _parse_owner(owner: str) -> tuple[str, str, int | None]:
    """(host shown, host with its pid namespace, process id) of `web-1[4026531836]:1234:ab12cd34`."""
    parts = owner.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return "", "", None
    return parts[0].split("[")[0], parts[0], int(parts[1])


def lease_holder_is_gone(owner: str) -> bool:
    """Whether the lease's holder ran on this host and its process no longer exists.

    A process id reused since is taken for the holder: the lease then lapses as usual.
    """
    _, host, pid = _parse_owner(owner)
    if host != _this_host() or pid is None or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, but belongs to another user
        return False
    return False


class _Lease:
    """The right to apply one batch, held by one process until it expires (a killed runner's lapses,
    or is taken over at once by a runner on the same host)."""

    def __init__(self, batch: ChangeBatch):
        self.batch = batch
        self.owner = f"{_this_host()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.renewed_at = 0.0

    def take(self) -> bool:
        now = timezone.now()
        free = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
        mine = {"lease_owner": self.owner, "lease_expires_at": self._expiry(), "stopped_reason": ""}
        taken = ChangeBatch.objects.filter(free, pk=self.batch.pk).update(**mine)
        if not taken:
            holder = ChangeBatch.objects.filter(pk=self.batch.pk).values_list("lease_owner", flat=True).first()
            if holder and lease_holder_is_gone(holder):
                # Compare-and-set on the dead holder: of two runners taking over, one wins.
                taken = ChangeBatch.objects.filter(pk=self.batch.pk, lease_owner=holder).update(**mine)
        self.renewed_at = time.monotonic()
        return bool(taken)

    def renew(self) -> bool:
        if time.monotonic() - self.renewed_at < settings.LEDGER_LEASE_SECONDS / 4:
            return True
        self.renewed_at = time.monotonic()
        return bool(
            ChangeBatch.objects.filter(pk=self.batch.pk, lease_owner=self.owner).update(lease_expires_at=self._expiry())
        )

    def release(self, stopped_reason: str) -> None:
        ChangeBatch.objects.filter(pk=self.batch.pk, lease_owner=self.owner).update(
            lease_owner="", lease_expires_at=None, stopped_reason=stopped_reason
        )

    @staticmethod
    def _expiry():
        return timezone.now() + timedelta(seconds=settings.LEDGER_LEASE_SECONDS)
