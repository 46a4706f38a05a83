"""Every credit change goes through here.

A change is (1) claimed as a pending audit row, unique per batch and user, so a retry or a
double submit never applies twice; (2) written to LibreChat's MongoDB the way LibreChat does
it: a `credits` transaction row plus an atomic update of the earliest balance document, never a
read-modify-write `save()`; (3) marked applied with before, after and delta.

MongoDB installs behind LibreChat are often standalone servers without multi-document
transactions, so the two Mongo writes cannot be one atomic unit. Adds write the transaction
first (as LibreChat does); a change interrupted between the two writes is marked "needs review"
instead of being retried, because crediting twice is worse than asking a person to look.
Sets are compare-and-set on the live value and write the transaction afterwards for the exact
difference; re-running an interrupted set is harmless.
"""

import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from bson import ObjectId
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from pymongo import UpdateOne
from pymongo.errors import BulkWriteError, PyMongoError

from audit.models import BalanceChange, ChangeBatch
from balancemgr.mongo import librechat_db
from balances.credits import parse_credits
from balances.documents import credits_transaction
from balances.models import LibreChatUser
from balances.queries import earliest_balances

Kind = ChangeBatch.Kind
Status = BalanceChange.Status
MAX_COMPARE_AND_SET_TRIES = 10


class LedgerError(Exception):
    """A request the ledger refuses as a whole; the message is meant for the person who asked."""


@dataclass(frozen=True, slots=True)
class Target:
    """A user to change; `amount_credits` and `reason` override the batch's (CSV rows carry their own)."""

    user_id: ObjectId
    email: str
    amount_credits: int | None = None
    reason: str = ""


@dataclass
class BatchOutcome:
    """What a run of a batch did. Successes are counted, not kept, so 100,000 users stay small."""

    batch: ChangeBatch
    applied_count: int = 0
    already_applied_count: int = 0
    delta_credits: float = 0.0
    failed: list[BalanceChange] = field(default_factory=list)
    needs_review: list[BalanceChange] = field(default_factory=list)

    def count_applied(self, change: BalanceChange) -> None:
        self.applied_count += 1
        self.delta_credits += change.delta_credits or 0

    @property
    def complete(self) -> bool:
        return not self.failed and not self.needs_review


def clean_amount(value: object, kind: str) -> int:
    """An amount of credits for a change of this kind: above 0 for adds and top-ups, 0 or more for sets."""
    return parse_credits(value, minimum_credits=0 if kind == Kind.SET else 1)


def open_batch(
    *,
    kind: str,
    amount_credits: int | None,
    source: str,
    actor: str,
    reason: str = "",
    batch_id: str | None = None,
) -> ChangeBatch:
    """The batch with this id, created if new; reusing an id for a different operation is refused.

    `amount_credits` None means every target brings its own amount.
    """
    if amount_credits is not None:
        clean_amount(amount_credits, kind)
    batch, created = ChangeBatch.objects.get_or_create(
        batch_id=batch_id or uuid.uuid4().hex,
        defaults={
            "kind": kind,
            "amount_credits": amount_credits,
            "source": source,
            "actor": actor,
            "reason": reason,
        },
    )
    if not created and (batch.kind, batch.amount_credits) != (kind, amount_credits):
        raise LedgerError(f"Batch id {batch.batch_id!r} was already used for: {batch}.")
    return batch


def apply_batch(
    batch: ChangeBatch,
    targets: Iterable[Target],
    *,
    chunk_size: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> BatchOutcome:
    """Apply the batch to each target once; targets it already reached are skipped."""
    outcome = BatchOutcome(batch)
    for chunk in _chunks(targets, chunk_size or settings.LEDGER_BATCH_SIZE):
        if batch.kind == Kind.ADD:
            # Read first, so each audit row is written once, complete, before MongoDB changes.
            balances = earliest_balances(target.user_id for target in chunk)
            _add_in_bulk(_claim(batch, chunk, outcome, balances), balances, outcome)
        else:
            for change in _claim(batch, chunk, outcome):
                _compare_and_set(batch, change, outcome)
        if progress:
            progress(len(chunk))
    return outcome


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
    """Apply one change to one user; the same `batch_id` again returns the first result."""
    batch = open_batch(
        kind=kind, amount_credits=amount_credits, source=source, actor=actor, reason=reason, batch_id=batch_id
    )
    apply_batch(batch, [target])
    change = BalanceChange.objects.get(batch=batch, librechat_user_id=str(target.user_id))
    if change.status == Status.FAILED:
        raise LedgerError(f"{target.email}: {change.error}")
    return change


def planned_delta(kind: str, amounts_by_user: Iterable[tuple[ObjectId, int]]) -> tuple[int, float]:
    """(users, total change) a batch would make right now, for a confirmation page or a dry-run plan."""
    users, total = 0, 0.0
    for chunk in _chunks(amounts_by_user, settings.LEDGER_BATCH_SIZE):
        users += len(chunk)
        balances = {} if kind == Kind.ADD else earliest_balances(user_id for user_id, _ in chunk)
        for user_id, amount in chunk:
            current = balances.get(user_id, {}).get("tokenCredits", 0)
            if not isinstance(current, int | float):
                continue
            if kind == Kind.ADD:
                total += amount
            elif kind == Kind.SET:
                total += amount - current
            else:
                total += max(0, amount - current)
    return users, total


def targets_for_emails(emails: Iterable[str]) -> tuple[list[Target], list[str], list[str]]:
    """(targets, unknown emails, ambiguous emails); emails match case-insensitively as LibreChat stores them."""
    wanted = {email.strip().lower() for email in emails if email.strip()}
    found: dict[str, list[ObjectId]] = {}
    for chunk in _chunks(sorted(wanted), 1000):
        for user_id, email in LibreChatUser.objects.filter(email__in=chunk).values_list("id", "email"):
            found.setdefault(email, []).append(user_id)
    targets = [Target(ids[0], email) for email, ids in sorted(found.items()) if len(ids) == 1]
    ambiguous = sorted(email for email, ids in found.items() if len(ids) > 1)
    return targets, sorted(wanted - found.keys()), ambiguous


def targets_for_user_ids(user_ids: Iterable[ObjectId]) -> Iterator[Target]:
    """Targets for existing users, one query per chunk; ids of deleted users are dropped."""
    for chunk in _chunks(user_ids, settings.LEDGER_BATCH_SIZE):
        users = librechat_db().users.find({"_id": {"$in": chunk}}, {"email": 1}).batch_size(len(chunk))
        yield from (Target(user["_id"], user.get("email") or "") for user in users)


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _claim(
    batch: ChangeBatch, chunk: list[Target], outcome: BatchOutcome, balances: dict | None = None
) -> list[BalanceChange]:
    """Pending audit rows for the targets this batch has not reached yet.

    With `balances` (adds), each row already holds the before, delta and after it will have.
    """
    unique_targets = {str(target.user_id): target for target in chunk}
    existing = {
        change.librechat_user_id: change
        for change in BalanceChange.objects.filter(batch=batch, librechat_user_id__in=unique_targets)
    }
    new_changes = [
        BalanceChange(
            batch=batch,
            librechat_user_id=user_id,
            email=target.email,
            requested_credits=batch.amount_credits if target.amount_credits is None else target.amount_credits,
            reason=target.reason,
            transaction_id=str(ObjectId()),
        )
        for user_id, target in unique_targets.items()
        if user_id not in existing
    ]
    if balances is not None:
        for change in new_changes:
            _expect_add(change, balances)
    with transaction.atomic():
        BalanceChange.objects.bulk_create(new_changes)
    interrupted = [change for change in existing.values() if change.status == Status.PENDING]
    written_transaction_ids = _existing_transaction_ids([change.transaction_id for change in interrupted])
    to_apply = list(new_changes)
    for change in existing.values():
        if change.status == Status.APPLIED:
            outcome.already_applied_count += 1
        elif change.status == Status.REVIEW:
            outcome.needs_review.append(change)
        elif change.status == Status.PENDING and change.transaction_id in written_transaction_ids:
            if batch.kind == Kind.ADD:
                _finish(change, Status.REVIEW, error="Interrupted after the transaction row was written.")
                outcome.needs_review.append(change)
            else:  # a set writes its transaction last, so the balance was already set
                _finish(change, Status.APPLIED)
                outcome.already_applied_count += 1
        else:
            change.status, change.error = Status.PENDING, ""
            if balances is not None:
                _expect_add(change, balances)
            change.save()
            to_apply.append(change)
    return to_apply


def _expect_add(change: BalanceChange, balances: dict) -> None:
    """Fill in what adding will do, or mark the change failed when the balance is not a number."""
    document = balances.get(ObjectId(change.librechat_user_id))
    before = None if document is None else document.get("tokenCredits", 0)
    if not isinstance(before, int | float | None):
        change.status, change.error = Status.FAILED, f"tokenCredits is not a number: {before!r}"
        return
    change.before_credits = before
    change.delta_credits = change.requested_credits
    change.after_credits = (before or 0) + change.requested_credits


def _existing_transaction_ids(transaction_ids: list[str]) -> set[str]:
    if not transaction_ids:
        return set()
    cursor = librechat_db().transactions.find({"_id": {"$in": [ObjectId(i) for i in transaction_ids]}}, {"_id": 1})
    return {str(document["_id"]) for document in cursor}


def _add_in_bulk(changes: list[BalanceChange], balances: dict, outcome: BatchOutcome) -> None:
    outcome.failed += [change for change in changes if change.status == Status.FAILED]
    writable = [change for change in changes if change.status == Status.PENDING]
    if not writable:
        return
    database = librechat_db()
    user_ids = [ObjectId(change.librechat_user_id) for change in writable]
    database.transactions.insert_many(
        [
            credits_transaction(user_id, change.requested_credits, transaction_id=ObjectId(change.transaction_id))
            for change, user_id in zip(writable, user_ids, strict=True)
        ],
        ordered=False,
    )
    updates = [
        UpdateOne({"_id": balances[user_id]["_id"]}, {"$inc": {"tokenCredits": change.requested_credits}})
        if user_id in balances
        else UpdateOne({"user": user_id}, {"$inc": {"tokenCredits": change.requested_credits}}, upsert=True)
        for change, user_id in zip(writable, user_ids, strict=True)
    ]
    write_errors = {}
    try:
        database.balances.bulk_write(updates, ordered=False)
    except BulkWriteError as exc:
        write_errors = {error["index"]: error.get("errmsg", "write failed") for error in exc.details["writeErrors"]}
        undo = [ObjectId(writable[index].transaction_id) for index in write_errors]
        database.transactions.delete_many({"_id": {"$in": undo}})
    for index, change in enumerate(writable):
        if index in write_errors:
            _finish(change, Status.FAILED, error=write_errors[index])
            outcome.failed.append(change)
        else:
            change.status = Status.APPLIED
            outcome.count_applied(change)
    applied_ids = [change.librechat_user_id for change in writable if change.status == Status.APPLIED]
    BalanceChange.objects.filter(batch=writable[0].batch, librechat_user_id__in=applied_ids).update(
        status=Status.APPLIED, updated_at=timezone.now()
    )


def _compare_and_set(batch: ChangeBatch, change: BalanceChange, outcome: BatchOutcome) -> None:
    """Set (or raise to) the batch amount against the live value, retrying like LibreChat does."""
    balances = librechat_db().balances
    user_id = ObjectId(change.librechat_user_id)
    amount = change.requested_credits
    try:
        for attempt in range(MAX_COMPARE_AND_SET_TRIES):
            document = balances.find_one({"user": user_id}, {"tokenCredits": 1}, sort=[("_id", 1)])
            if document is None:
                created = balances.update_one(
                    {"user": user_id}, {"$setOnInsert": {"tokenCredits": amount}}, upsert=True
                )
                if created.upserted_id:
                    _record_set(change, None, amount)
                    break
                continue
            current = document.get("tokenCredits", 0)
            if not isinstance(current, int | float):
                raise LedgerError(f"tokenCredits is not a number: {current!r}")
            target = amount if batch.kind == Kind.SET else max(current, amount)
            if target == current:
                _record_set(change, current, target)
                break
            # The filter also matches a document without the field when `current` came from the default.
            unchanged = {"_id": document["_id"], "tokenCredits": document.get("tokenCredits")}
            if balances.update_one(unchanged, {"$set": {"tokenCredits": target}}).matched_count:
                _record_set(change, current, target)
                break
            time.sleep(0.002 * 2**attempt)
        else:
            raise LedgerError("the balance kept changing under concurrent use; try again")
    except (LedgerError, PyMongoError) as exc:
        _finish(change, Status.FAILED, error=str(exc))
        outcome.failed.append(change)
        return
    outcome.count_applied(change)


def _record_set(change: BalanceChange, before: float | None, after: float) -> None:
    delta = after - (before or 0)
    if delta:
        librechat_db().transactions.insert_one(
            credits_transaction(
                ObjectId(change.librechat_user_id), delta, transaction_id=ObjectId(change.transaction_id)
            )
        )
    change.before_credits, change.after_credits, change.delta_credits = before, after, delta
    _finish(change, Status.APPLIED)


def _finish(change: BalanceChange, status: str, error: str = "") -> None:
    change.status = status
    change.error = error
    change.save()
