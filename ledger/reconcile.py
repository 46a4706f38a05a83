"""Drift: where a user's balance and the sum of their LibreChat transactions disagree.

LibreChat's balance is what it uses; its transactions are the history. They drift apart in real
installs (see the README, "Drift between balances and transactions"), partly by LibreChat's own
design: a start balance at sign-up has no transaction, a charge larger than the balance records
its full cost but stops the balance at 0, and an auto-refill is on the balance a moment before its
transaction is written (`pendingRefill`). Each drifted user says which of these explains it. A fix
writes the missing history as one `credits` row per user (ledger kind "record only"), never
touching the balance.
"""

import hashlib
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from bson import ObjectId
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from ledger import batch_ids
from ledger.changes import Kind, Target
from ledger.models import ChangeBatch
from ledger.plans import chunks
from librechat.credits import LIBRECHAT_START_BALANCE_CREDITS
from librechat.documents import credits_number
from librechat.mongo import librechat_db
from librechat.queries import VALID_AMOUNTS, earliest_balances, is_finite_number

# Transactions carry fractional credits (tokens times a rate); a gap under one credit is rounding.
TOLERANCE_CREDITS = 1
COLUMNS = [
    "email",
    "user_id",
    "balance_credits",
    "history_credits",
    "drift_credits",
    "transactions",
    "invalid_transactions",
    "explanation",
    "problem",
]
DEFAULT_START_BALANCE_CREDITS = LIBRECHAT_START_BALANCE_CREDITS


@dataclass
class Drift:
    user_id: ObjectId
    email: str
    balance_credits: float | None
    history_credits: float | None
    transactions: int
    problem: str = ""
    invalid_transactions: int = 0
    explanation: str = ""  # a known LibreChat cause that accounts for the drift; empty when none does

    @property
    def drift_credits(self) -> float | None:
        if self.problem:
            return None
        return self.balance_credits - self.history_credits

    @property
    def correction_credits(self) -> int:
        """The whole credits a `credits` row must carry for the history to add up to the balance."""
        return round(self.drift_credits or 0)

    def as_row(self) -> dict:
        return {
            "email": self.email,
            "user_id": str(self.user_id),
            "balance_credits": self.balance_credits,
            "history_credits": self.history_credits,
            "drift_credits": self.drift_credits,
            "transactions": self.transactions,
            "invalid_transactions": self.invalid_transactions,
            "explanation": self.explanation,
            "problem": self.problem,
        }

    def target(self) -> Target:
        return Target(self.user_id, self.email, self.correction_credits)


def users_to_check(*, user_id: ObjectId | None = None, since: date | None = None) -> Iterable[ObjectId]:
    """One user; or users with a transaction since a day (found on the `_id` index); or every user with a balance."""
    if user_id is not None:
        return [user_id]
    if since is not None:
        first_id = ObjectId.from_datetime(datetime.combine(since, datetime.min.time(), tzinfo=UTC))
        return sorted(librechat_db().transactions.distinct("user", {"_id": {"$gte": first_id}}))
    return sorted(librechat_db().balances.distinct("user"))


def find_drift(
    user_ids: Iterable[ObjectId], *, start_balance_credits: float = DEFAULT_START_BALANCE_CREDITS
) -> Iterator[Drift]:
    """Users whose earliest balance and transaction sum differ by a credit or more, or cannot be compared.

    Per chunk of users: one read of balances, one `$group` over their transactions (the `user`
    index), one read of emails; for the drifted users only, their balance documents and
    transactions again, to explain the drift. Users without a balance document have nothing to compare.
    Transactions whose amounts are not numbers are counted and left out of the history.
    """
    database = librechat_db()
    for chunk in chunks(user_ids, settings.LEDGER_BATCH_SIZE):
        balances = earliest_balances(chunk)
        present = [user_id for user_id in chunk if user_id in balances]
        pipeline = [
            {"$match": {"user": {"$in": present}}},
            {
                "$group": {
                    "_id": "$user",
                    "total": {"$sum": {"$cond": [is_finite_number("$tokenValue"), "$tokenValue", 0]}},
                    "count": {"$sum": 1},
                    "invalid": {"$sum": {"$cond": [VALID_AMOUNTS, 0, 1]}},
                }
            },
        ]
        sums = {row["_id"]: row for row in database.transactions.aggregate(pipeline)}
        emails = {user["_id"]: user.get("email") or "" for user in database.users.find({"_id": {"$in": present}})}
        drifts = [
            _compare(user_id, emails.get(user_id, ""), balances[user_id], sums.get(user_id)) for user_id in present
        ]
        drifted = [d for d in drifts if d.problem or abs(d.drift_credits) >= TOLERANCE_CREDITS]
        _explain(drifted, start_balance_credits)
        yield from drifted


def _compare(user_id: ObjectId, email: str, balance: dict, history: dict | None) -> Drift:
    stored = balance.get("tokenCredits", 0)
    balance_credits = credits_number(stored)
    history_credits = credits_number((history or {}).get("total", 0))
    drift = Drift(user_id, email, balance_credits, history_credits, (history or {}).get("count", 0))
    drift.invalid_transactions = (history or {}).get("invalid", 0)
    if balance_credits is None:
        drift.problem = f"tokenCredits is not a number: {stored!r}"
    elif history_credits is None or not math.isfinite(history_credits):
        drift.problem = "the sum of the transactions is not a number"
    return drift


def fix_batch_id(fixable: Iterable[Drift]) -> str:
    """The batch id of a fix of exactly these corrections, so two runs that read the same drift write it once."""
    corrections = sorted(f"{drift.user_id}:{drift.correction_credits}" for drift in fixable)
    return f"{batch_ids.RECONCILE}{hashlib.sha256(chr(10).join(corrections).encode()).hexdigest()[:54]}"


def fix_written_since(moment: datetime) -> ChangeBatch | None:
    """A fix being written now, or written since `moment`: drift read since then may be fixed already."""
    running = Q(lease_expires_at__gt=timezone.now()) | Q(changes__updated_at__gte=moment)
    return ChangeBatch.objects.filter(running, kind=Kind.RECORD).first()


def _explain(drifts: list[Drift], start_balance_credits: float) -> None:
    """Say which of LibreChat's own non-ledger changes accounts for each drift, if one does.

    The history is replayed as LibreChat applied it: each charge moves the balance and stops it at 0
    (`max(0, current + delta)`), each `credits` row moves it by its amount (this tool's sets and
    reversals wrote exactly what they applied), from 0 or from the start balance, plus a refill whose
    transaction is still pending. A drift that no combination reproduces stays unexplained.
    """
    comparable = [drift for drift in drifts if not drift.problem and not drift.invalid_transactions]
    if not comparable:
        return
    database, user_ids = librechat_db(), [drift.user_id for drift in comparable]
    pending = {
        document["user"]: document.get("pendingRefill")
        for document in database.balances.find({"user": {"$in": user_ids}}, {"user": 1, "pendingRefill": 1}).sort(
            "_id", -1
        )  # the earliest document last, so it is the one kept
    }
    rows = database.transactions.find({"user": {"$in": user_ids}}, {"user": 1, "tokenValue": 1, "tokenType": 1})
    deltas: dict[ObjectId, list[tuple[float, bool]]] = {}
    for row in rows.sort("_id", 1):
        delta = credits_number(row.get("tokenValue")) or 0.0
        deltas.setdefault(row["user"], []).append((delta, row.get("tokenType") != "credits"))
    for drift in comparable:
        refill = _pending_refill_credits(pending.get(drift.user_id))
        drift.explanation = _explanation(drift, deltas.get(drift.user_id, []), start_balance_credits, refill)


def _pending_refill_credits(pending: object) -> float:
    # A marker LibreChat leaves between the refill's balance write and its transaction.
    if not isinstance(pending, dict):
        return 0.0
    transaction_id = pending.get("transactionId")
    if transaction_id is not None and librechat_db().transactions.find_one({"_id": transaction_id}, {"_id": 1}):
        return 0.0  # written since: the history already holds it
    return credits_number(pending.get("rawAmount")) or 0.0


def _explanation(
    drift: Drift, deltas: list[tuple[float, bool]], start_balance_credits: float, refill_credits: float
) -> str:
    for start in (0.0, start_balance_credits):
        clamped = _replay(start, deltas)
        plain = start + sum(delta for delta, _ in deltas)
        for refill in {0.0, refill_credits}:
            if abs(clamped + refill - drift.balance_credits) >= TOLERANCE_CREDITS:
                continue
            causes = []
            if start:
                causes.append(f"start balance of {start:,.0f} at sign-up (no transaction)")
            if abs(clamped - plain) >= TOLERANCE_CREDITS:
                causes.append(f"charges stopped at 0 ({clamped - plain:,.0f} credits not charged)")
            if refill:
                causes.append(f"auto-refill of {refill:,.0f} whose transaction LibreChat has not written yet")
            return "; ".join(causes)
    return ""


def _replay(start: float, deltas: list[tuple[float, bool]]) -> float:
    balance = start
    for delta, is_charge in deltas:
        balance = max(0.0, balance + delta) if is_charge else balance + delta
    return balance
