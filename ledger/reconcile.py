"""Drift: where a user's balance and the sum of their LibreChat transactions disagree.

LibreChat's balance is what it uses; its transactions are the history. They drift apart in real
installs (see the README, "Drift between balances and transactions"). A fix writes the missing
history as one `credits` row per user (ledger kind "record only"), never touching the balance.
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
from librechat.documents import credits_number
from librechat.mongo import librechat_db
from librechat.queries import earliest_balances

# Transactions carry fractional credits (tokens times a rate); a gap under one credit is rounding.
TOLERANCE_CREDITS = 1
COLUMNS = ["email", "user_id", "balance_credits", "history_credits", "drift_credits", "transactions", "problem"]


@dataclass
class Drift:
    user_id: ObjectId
    email: str
    balance_credits: float | None
    history_credits: float | None
    transactions: int
    problem: str = ""

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


def find_drift(user_ids: Iterable[ObjectId]) -> Iterator[Drift]:
    """Users whose earliest balance and transaction sum differ by a credit or more, or cannot be compared.

    Per chunk of users: one read of balances, one `$group` over their transactions (the `user`
    index), one read of emails. Users without a balance document have nothing to compare.
    """
    database = librechat_db()
    for chunk in chunks(user_ids, settings.LEDGER_BATCH_SIZE):
        balances = earliest_balances(chunk)
        present = [user_id for user_id in chunk if user_id in balances]
        pipeline = [
            {"$match": {"user": {"$in": present}}},
            {"$group": {"_id": "$user", "total": {"$sum": "$tokenValue"}, "count": {"$sum": 1}}},
        ]
        sums = {row["_id"]: row for row in database.transactions.aggregate(pipeline)}
        emails = {user["_id"]: user.get("email") or "" for user in database.users.find({"_id": {"$in": present}})}
        for user_id in present:
            drift = _compare(user_id, emails.get(user_id, ""), balances[user_id], sums.get(user_id))
            if drift.problem or abs(drift.drift_credits) >= TOLERANCE_CREDITS:
                yield drift


def _compare(user_id: ObjectId, email: str, balance: dict, history: dict | None) -> Drift:
    stored = balance.get("tokenCredits", 0)
    balance_credits = credits_number(stored)
    history_credits = credits_number((history or {}).get("total", 0))
    drift = Drift(user_id, email, balance_credits, history_credits, (history or {}).get("count", 0))
    if balance_credits is None:
        drift.problem = f"tokenCredits is not a number: {stored!r}"
    elif history_credits is None or not math.isfinite(history_credits):
        drift.problem = "a transaction's tokenValue is not a number"
    return drift


def fix_batch_id(fixable: Iterable[Drift]) -> str:
    """The batch id of a fix of exactly these corrections, so two runs that read the same drift write it once."""
    corrections = sorted(f"{drift.user_id}:{drift.correction_credits}" for drift in fixable)
    return f"{batch_ids.RECONCILE}{hashlib.sha256(chr(10).join(corrections).encode()).hexdigest()[:54]}"


def fix_written_since(moment: datetime) -> ChangeBatch | None:
    """A fix being written now, or written since `moment`: drift read since then may be fixed already."""
    running = Q(lease_expires_at__gt=timezone.now()) | Q(changes__updated_at__gte=moment)
    return ChangeBatch.objects.filter(running, kind=Kind.RECORD).first()
