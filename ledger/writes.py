"""The ledger's MongoDB writes, each safe to repeat (the protocol is in the package docstring)."""

import contextlib
import os
import random
import sys
import time

from bson import ObjectId
from django.db import connections, router, transaction
from django.utils import timezone
from pymongo import UpdateOne
from pymongo.collection import Collection
from pymongo.errors import BulkWriteError, ConnectionFailure, DuplicateKeyError
from pymongo.write_concern import WriteConcern

from ledger.models import BalanceChange, ChangeBatch
from librechat.documents import credits_number, credits_transaction, tenant
from librechat.mongo import librechat_db
from librechat.queries import earliest_balances, tenant_ids

Kind = ChangeBatch.Kind
Status = BalanceChange.Status
# The balance document remembers the last changes applied to it, so "was it applied?" is
# answered by the document itself, atomically with the change (no multi-document transaction).
CHANGE_MARKER = "balanceManagerChanges"
CHANGES_REMEMBERED = 50
# LibreChat's own writers try 10 times; an admin's set should outlast a busy user's requests, so
# it tries longer, backing off with jitter up to a fifth of a second between tries.
MAX_COMPARE_AND_SET_TRIES = 25
MAX_BACKOFF_SECONDS = 0.2
DUPLICATE_KEY = 11000


def apply_adds(changes: list[BalanceChange]) -> None:
    """Add each change's credits to its user, in a few round trips for the whole chunk."""
    user_ids = [ObjectId(change.librechat_user_id) for change in changes]
    balances = earliest_balances(user_ids)
    writable = []
    for change, user_id in zip(changes, user_ids, strict=True):
        stored = balances[user_id].get("tokenCredits", 0) if user_id in balances else 0
        if credits_number(stored) is None:
            _fail(change, f"tokenCredits is not a number: {stored!r}; fix the balance document first.")
        else:
            writable.append(change)
    if not writable:
        return
    tenants = tenant_ids(ObjectId(change.librechat_user_id) for change in writable)
    _record_tenants(writable, tenants)
    missing = [ObjectId(c.librechat_user_id) for c in writable if ObjectId(c.librechat_user_id) not in balances]
    created = _create_missing_balances(missing, tenants) if missing else {}
    balances.update(created)
    if raced := [user_id for user_id in missing if user_id not in created]:  # LibreChat created them first
        balances.update(earliest_balances(raced))
    unrecorded = [change for change in writable if change.after_credits is None]
    for change in unrecorded:
        user_id = ObjectId(change.librechat_user_id)
        before = None if user_id in created else credits_number(balances[user_id].get("tokenCredits", 0))
        change.before_credits, change.delta_credits = before, change.requested_credits
        change.after_credits = (before or 0) + change.requested_credits
    _record_readings(unrecorded)
    pause_point("add:before-transactions")
    writable = _insert_transactions(writable, {c.transaction_id: c.requested_credits for c in writable}, tenants)
    pause_point("add:after-transactions")
    applied = _increment_balances(writable, balances)
    pause_point("add:after-balances")
    _mark_applied([change for change in writable if change.transaction_id in applied])


def apply_set(change: BalanceChange, kind: str) -> None:
    """Set (or raise to) the change's amount against the live value, retrying like LibreChat does."""
    user_id, change_id = ObjectId(change.librechat_user_id), ObjectId(change.transaction_id)
    created_document = False
    for attempt in range(MAX_COMPARE_AND_SET_TRIES):
        # The marker comes with the value: an earlier run, or another runner that read this
        # change before it was recorded, may have written the balance already.
        applied_marker = {CHANGE_MARKER: {"$elemMatch": {"id": change_id}}}
        document = _balances().find_one({"user": user_id}, {"tokenCredits": 1, **applied_marker}, sort=[("_id", 1)])
        if document is None:
            _create_missing_balances([user_id], tenant_ids([user_id]))
            created_document = True
            continue
        if document.get(CHANGE_MARKER):
            _finish_set(change, document[CHANGE_MARKER][0]["delta"])
            return
        stored = document.get("tokenCredits")
        current = credits_number(0 if stored is None else stored)
        if current is None:
            _fail(change, f"tokenCredits is not a number: {stored!r}; fix the balance document first.")
            return
        target = set_target(kind, current, change.requested_credits)
        delta = target - current
        _record(change, None if created_document else current, target, delta)
        if delta == 0:
            _finish_set(change, 0)
            return
        pause_point("set:before-balance")
        # `stored` None also matches a document without the field, as LibreChat's default reads it.
        unchanged = {"_id": document["_id"], "tokenCredits": stored, f"{CHANGE_MARKER}.id": {"$ne": change_id}}
        if (
            _balances()
            .update_one(unchanged, {"$set": {"tokenCredits": target}, **_remember(change_id, delta)})
            .matched_count
        ):
            pause_point("set:after-balance")
            _finish_set(change, delta)
            return
        if (applied := applied_delta(user_id, change_id)) is not None:  # another runner got there first
            _finish_set(change, applied)
            return
        time.sleep(random.uniform(0, min(MAX_BACKOFF_SECONDS, 0.002 * 2**attempt)))
    _fail(change, "the balance kept changing under concurrent use; try again")


def set_target(kind: str, current: float, requested_credits: int) -> float:
    """The balance a compare-and-set kind writes over `current`."""
    if kind == Kind.SET:
        return requested_credits
    if kind == Kind.SUBTRACT_CLAMPED:
        return max(0, current - requested_credits)
    return max(current, requested_credits)


def apply_records(changes: list[BalanceChange]) -> None:
    """Write each change's `credits` row only; the balance is left as it is (before == after)."""
    user_ids = [ObjectId(change.librechat_user_id) for change in changes]
    balances = earliest_balances(user_ids)
    unrecorded = [change for change in changes if change.after_credits is None]
    for change in unrecorded:
        stored = balances.get(ObjectId(change.librechat_user_id), {}).get("tokenCredits")
        change.before_credits = change.after_credits = None if stored is None else credits_number(stored)
        change.delta_credits = change.requested_credits
    _record_readings(unrecorded)
    tenants = tenant_ids(user_ids)
    _record_tenants(changes, tenants)
    written = _insert_transactions(changes, {c.transaction_id: c.requested_credits for c in changes}, tenants)
    _mark_applied(written)


def applied_delta(user_id: ObjectId, change_id: ObjectId) -> float | None:
    """The delta a change applied to the user's balance, read back from the marker; None if not applied."""
    marker = f"{CHANGE_MARKER}.id"
    document = _balances().find_one(
        {"user": user_id, marker: change_id}, {CHANGE_MARKER: {"$elemMatch": {"id": change_id}}}
    )
    return None if document is None else document[CHANGE_MARKER][0]["delta"]


def pause_point(step: str) -> None:
    """Test-only: hold still at a protocol step so a crash test can kill the process right there."""
    if os.environ.get("LEDGER_TEST_PAUSE_AT") == step:
        sys.stderr.write(f"ledger paused at {step}\n")
        sys.stderr.flush()
        time.sleep(float(os.environ.get("LEDGER_TEST_PAUSE_SECONDS", "60")))


def _balances() -> Collection:
    return librechat_db().get_collection("balances", write_concern=WriteConcern(j=True))


def _transactions() -> Collection:
    return librechat_db().get_collection("transactions", write_concern=WriteConcern(j=True))


def _remember(change_id: ObjectId, delta: float) -> dict:
    return {"$push": {CHANGE_MARKER: {"$each": [{"id": change_id, "delta": delta}], "$slice": -CHANGES_REMEMBERED}}}


def _create_missing_balances(user_ids: list[ObjectId], tenants: dict[ObjectId, object]) -> dict[ObjectId, dict]:
    """Create a 0-credit balance document for each user without one, as LibreChat does; returns those created.

    The document is keyed by the user id, so it converges with LibreChat creating the same
    record at the same moment (`findOneAndUpdate({_id: user}, {$setOnInsert: ...}, {upsert})`).
    A user missing from the answer got a document from someone else in the meantime.
    """
    # A separate upsert, never combined with the marker guard: a guarded upsert that finds the
    # change already applied would insert a second balance document.
    upserts = [
        UpdateOne(
            {"_id": user_id},
            {"$setOnInsert": {"user": user_id, "tokenCredits": 0, **tenant(tenants.get(user_id))}},
            upsert=True,
        )
        for user_id in user_ids
    ]
    try:
        upserted_ids = _balances().bulk_write(upserts, ordered=False).upserted_ids
    except BulkWriteError as exc:
        # A duplicate key is a racing creator that inserted the same `_id` first: the document exists.
        if any(error.get("code") != DUPLICATE_KEY for error in exc.details["writeErrors"]):
            raise
        upserted_ids = {upsert["index"]: upsert["_id"] for upsert in exc.details.get("upserted", [])}
    created = {user_ids[index]: document_id for index, document_id in upserted_ids.items()}
    withdrawn = _withdraw_rivalled(list(created))
    return {
        user_id: {"_id": document_id, "user": user_id, "tokenCredits": 0}
        for user_id, document_id in created.items()
        if user_id not in withdrawn
    }


def _withdraw_rivalled(created_ids: list[ObjectId]) -> set[ObjectId]:
    """Delete the documents just created for users that meanwhile got another one; returns those users.

    An older LibreChat creates a balance under a fresh `_id`; the user's own id is older than that,
    so ours would become the document LibreChat reads and hide its live one. Withdrawn only while
    nothing has been written to it yet.
    """
    if not created_ids:
        return set()
    rivalled = set(_balances().distinct("user", {"user": {"$in": created_ids}, "_id": {"$nin": created_ids}}))
    for user_id in rivalled:
        _balances().delete_one(
            {"_id": user_id, "tokenCredits": 0, "reservations.0": {"$exists": False}, CHANGE_MARKER: {"$exists": False}}
        )
    return rivalled


def _insert_transactions(
    changes: list[BalanceChange], delta_by_change_id: dict[str, float], tenants: dict[ObjectId, object]
) -> list[BalanceChange]:
    """LibreChat `credits` rows with the changes' pre-allocated ids; returns the changes whose row exists."""
    rows = [
        credits_transaction(
            ObjectId(c.librechat_user_id),
            delta_by_change_id[c.transaction_id],
            transaction_id=ObjectId(c.transaction_id),
            tenant_id=tenants.get(ObjectId(c.librechat_user_id)),
        )
        for c in changes
    ]
    try:
        _transactions().insert_many(rows, ordered=False)
    except BulkWriteError as exc:
        refused = {error["index"]: error for error in exc.details["writeErrors"] if error.get("code") != DUPLICATE_KEY}
        for index, error in refused.items():
            _fail(changes[index], f"LibreChat's transaction row was refused: {error.get('errmsg', 'write failed')}")
        return [change for index, change in enumerate(changes) if index not in refused]
    return changes


def _increment_balances(changes: list[BalanceChange], balances: dict) -> set[str]:
    """`$inc` each earliest balance document once per change; returns the ids of changes now applied."""
    if not changes:
        return set()
    change_ids = [ObjectId(change.transaction_id) for change in changes]
    document_ids = [balances[ObjectId(change.librechat_user_id)]["_id"] for change in changes]
    updates = [
        UpdateOne(
            {"_id": document_id, f"{CHANGE_MARKER}.id": {"$ne": change_id}},
            {"$inc": {"tokenCredits": change.requested_credits}, **_remember(change_id, change.requested_credits)},
        )
        for change, change_id, document_id in zip(changes, change_ids, document_ids, strict=True)
    ]
    refused = {}
    try:
        matched = _balances().bulk_write(updates, ordered=False).matched_count
    except BulkWriteError as exc:
        refused = {error["index"]: error.get("errmsg", "write failed") for error in exc.details["writeErrors"]}
        matched = exc.details.get("nMatched", 0)
    if matched == len(updates):
        return {change.transaction_id for change in changes}
    # Some matched nothing: applied by an earlier run (the marker says so) or refused.
    marker = f"{CHANGE_MARKER}.id"
    found = _balances().find(
        {"_id": {"$in": document_ids}, marker: {"$in": change_ids}},
        {CHANGE_MARKER: {"$elemMatch": {"id": {"$in": change_ids}}}},
    )
    applied = {str(entry["id"]) for document in found for entry in document.get(CHANGE_MARKER, [])} & {
        str(i) for i in change_ids
    }
    for index, reason in refused.items():
        if changes[index].transaction_id not in applied:
            _undo_transaction(changes[index], reason)
    return applied


def _undo_transaction(change: BalanceChange, reason: str) -> None:
    """The balance refused the change: remove its transaction row so history and balance agree."""
    try:
        _transactions().delete_one({"_id": ObjectId(change.transaction_id)})
    except ConnectionFailure:
        return  # stays pending; the next run writes the balance or finds it refused again
    _fail(change, f"the balance document refused the change: {reason}")


def _finish_set(change: BalanceChange, delta: float) -> None:
    user_id = ObjectId(change.librechat_user_id)
    tenant_id = tenant_ids([user_id]).get(user_id)
    if delta:
        row = credits_transaction(user_id, delta, transaction_id=ObjectId(change.transaction_id), tenant_id=tenant_id)
        with contextlib.suppress(DuplicateKeyError):  # written by an earlier run
            _transactions().insert_one(row)
        pause_point("set:after-transaction")
    if delta != change.delta_credits:  # another runner's compare-and-set won: record what it did
        change.before_credits, change.after_credits = change.requested_credits - delta, change.requested_credits
    change.delta_credits, change.status = delta, Status.APPLIED
    # Recorded and marked applied in one update, so the row shows the delta the marker holds
    # even when another runner recorded its own reading in between.
    BalanceChange.objects.filter(pk=change.pk, status=Status.PENDING).update(
        before_credits=change.before_credits,
        after_credits=change.after_credits,
        delta_credits=delta,
        status=Status.APPLIED,
        error="",
        tenant_id=tenant_id if isinstance(tenant_id, str) else "",
        updated_at=timezone.now(),
    )


def _record_tenants(changes: list[BalanceChange], tenants: dict[ObjectId, object]) -> None:
    """Keep on each change the tenant its rows are written for, so the history filters by tenant in SQL.

    Read when written (not when planned), as the rows are stamped; nothing to save without tenants.
    """
    for change in changes:
        tenant_id = tenants.get(ObjectId(change.librechat_user_id))
        tenant_id = tenant_id if isinstance(tenant_id, str) else ""
        if change.tenant_id != tenant_id:
            change.tenant_id = tenant_id
            BalanceChange.objects.filter(pk=change.pk).update(tenant_id=tenant_id)


def _record(change: BalanceChange, before: float | None, after: float | None, delta: float) -> None:
    """Save what the change is about to do before it does it, so a resumed set knows its difference."""
    change.before_credits, change.after_credits, change.delta_credits = before, after, delta
    BalanceChange.objects.filter(pk=change.pk, status=Status.PENDING).update(
        before_credits=before, after_credits=after, delta_credits=delta, updated_at=timezone.now()
    )


def _record_readings(changes: list[BalanceChange]) -> None:
    """Save before, delta and after of many changes before their writes, as `_record` does for one.

    One executemany of a plain UPDATE per row: Django's bulk_update builds a CASE WHEN per field
    over the whole chunk, which cost about 0.65 ms of CPU per user, most of a top-up's own time.
    """
    if not changes:
        return
    connection = connections[router.db_for_write(BalanceChange)]
    quote, meta = connection.ops.quote_name, BalanceChange._meta
    fields = [meta.get_field(name) for name in ("before_credits", "delta_credits", "after_credits")]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    statement = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
    rows = [(change.before_credits, change.delta_credits, change.after_credits, change.pk) for change in changes]
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.executemany(statement, rows)


def _mark_applied(changes: list[BalanceChange]) -> None:
    # Only rows still pending: a second runner never overwrites what the first recorded.
    BalanceChange.objects.filter(pk__in=[change.pk for change in changes], status=Status.PENDING).update(
        status=Status.APPLIED, error="", updated_at=timezone.now()
    )
    for change in changes:
        change.status = Status.APPLIED


def _fail(change: BalanceChange, error: str) -> None:
    """Refused before anything was written for it (or after its writes were undone)."""
    BalanceChange.objects.filter(pk=change.pk, status=Status.PENDING).update(
        status=Status.FAILED, error=error, updated_at=timezone.now()
    )
    change.status, change.error = Status.FAILED, error
