"""The audit history's queries: totals of a filtered set, its CSV rows, LibreChat's own credits rows."""

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from bson import ObjectId
from bson.errors import InvalidId
from django.db.models import Count, Q, QuerySet, Sum

from ledger.models import BalanceChange, ChangeBatch
from librechat.mongo import librechat_db

CREDITS_PAGE_ROWS = 50
EXPORT_COLUMNS = [
    "created_at",
    "actor",
    "source",
    "kind",
    "email",
    "librechat_user_id",
    "tenant",
    "before_credits",
    "delta_credits",
    "after_credits",
    "reason",
    "batch_id",
    "status",
    "error",
    "transaction_id",
]


def history_totals(changes: QuerySet) -> dict:
    """Credited, debited, net and users of the applied changes in `changes`, in one aggregate query
    (after reading the short list of record-only batches).

    Record-only rows (history corrections) moved no balance, so they are left out.
    """
    # Record-only batches are few: a list of ids, not a join that would make the planner walk batches.
    record_batches = list(
        ChangeBatch.objects.using(changes.db)
        .filter(kind=ChangeBatch.Kind.RECORD)
        .order_by()
        .values_list("pk", flat=True)
    )
    moved = Q(status=BalanceChange.Status.APPLIED) & ~Q(batch_id__in=record_batches)
    totals = changes.order_by().aggregate(
        credited=Sum("delta_credits", filter=moved & Q(delta_credits__gt=0), default=0),
        debited=Sum("delta_credits", filter=moved & Q(delta_credits__lt=0), default=0),
        users=Count("librechat_user_id", distinct=True),
    )
    return {**totals, "net": totals["credited"] + totals["debited"]}


def change_row(change: BalanceChange) -> dict:
    """One change as an export row (the caller formula-escapes it)."""
    batch = change.batch
    return {
        "created_at": change.created_at.isoformat(),
        "actor": batch.actor,
        "source": batch.source,
        "kind": batch.kind,
        "email": change.email,
        "librechat_user_id": change.librechat_user_id,
        "tenant": change.tenant_id,
        "before_credits": change.before_credits,
        "delta_credits": change.delta_credits,
        "after_credits": change.after_credits,
        "reason": change.reason or batch.reason,
        "batch_id": batch.batch_id,
        "status": change.status,
        "error": change.error,
        "transaction_id": change.transaction_id,
    }


def csv_lines(rows: Iterable[dict], columns: list[str]) -> Iterator[str]:
    """CSV text one line at a time, for a streaming response."""

    class Line:
        def write(self, value: str) -> str:
            return value

    writer = csv.DictWriter(Line(), fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    yield writer.writeheader()
    for row in rows:
        yield writer.writerow({key: "" if row.get(key) is None else row[key] for key in columns})


@dataclass
class CreditsRow:
    """A LibreChat `credits` transaction and, when this tool wrote it, our audit row."""

    transaction_id: str
    user_id: str
    email: str
    created_at: object
    context: str
    amount_credits: object
    change: BalanceChange | None

    @property
    def written_by_us(self) -> bool:
        return self.change is not None


def credits_rows(*, user_id: ObjectId | None = None, before_id: str = "", limit: int = CREDITS_PAGE_ROWS):
    """LibreChat's `credits` rows, newest first by `_id`, each marked with ours when we wrote it.

    Paged by `_id` (`before_id`): `transactions` has no `createdAt` index, and `_id` order is
    creation order. Returns (rows, the next page's `before_id` or "").
    """
    query: dict = {"tokenType": "credits"}
    if user_id is not None:
        query["user"] = user_id
    try:
        if before_id:
            query["_id"] = {"$lt": ObjectId(before_id)}
    except InvalidId:
        return [], ""
    documents = list(librechat_db().transactions.find(query).sort("_id", -1).limit(limit + 1))
    next_before = str(documents[limit - 1]["_id"]) if len(documents) > limit else ""
    documents = documents[:limit]
    ids = [str(document["_id"]) for document in documents]
    ours = {c.transaction_id: c for c in BalanceChange.objects.filter(transaction_id__in=ids).select_related("batch")}
    user_ids = list({document.get("user") for document in documents})
    emails = {user["_id"]: user.get("email") or "" for user in librechat_db().users.find({"_id": {"$in": user_ids}})}
    rows = [
        CreditsRow(
            transaction_id=str(document["_id"]),
            user_id=str(document.get("user", "")),
            email=emails.get(document.get("user"), ""),
            created_at=document.get("createdAt"),
            context=str(document.get("context") or ""),
            amount_credits=document.get("tokenValue"),
            change=ours.get(str(document["_id"])),
        )
        for document in documents
    ]
    return rows, next_before
