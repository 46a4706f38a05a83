"""The numbers on the admin index: how much credit is out there and who is running low."""

import math
from dataclasses import dataclass

from librechat.credits import format_usd
from librechat.documents import credits_number
from librechat.mongo import librechat_db
from librechat.queries import documents_with_live_holds
from librechat.reservations import spendable

LOW_BALANCE_CREDITS = 1_000_000


@dataclass
class BalanceOverview:
    total_users: int
    users_with_balance: int
    users_at_zero: int
    users_below_1m: int
    average_credits: float
    median_credits: float
    outstanding_credits: float
    held_credits: float

    @property
    def users_without_balance(self) -> int:
        return max(0, self.total_users - self.users_with_balance)

    @property
    def outstanding_usd(self) -> str:
        return format_usd(self.outstanding_credits)

    @property
    def available_credits(self) -> float:
        return self.outstanding_credits - self.held_credits


def balance_overview() -> BalanceOverview:
    """Five queries whatever the install's size: a user count, one group, a user count, a median and the holds.

    "At zero" and "below 1M" count available credits (credits less in-flight holds), as the
    balances list's filters they link to do.
    """
    database = librechat_db()
    # Numbers only (Decimal128 included); NaN and Infinity would poison every sum.
    numeric = {"tokenCredits": {"$type": "number", "$nin": [math.nan, math.inf, -math.inf]}}
    totals = next(
        database.balances.aggregate(
            [
                {"$match": numeric},
                {
                    "$group": {
                        "_id": None,
                        "documents": {"$sum": 1},
                        "credits": {"$sum": "$tokenCredits"},
                        "zero": {"$sum": {"$cond": [{"$lte": ["$tokenCredits", 0]}, 1, 0]}},
                        "low": {"$sum": {"$cond": [{"$lt": ["$tokenCredits", LOW_BALANCE_CREDITS]}, 1, 0]}},
                    }
                },
            ]
        ),
        {"documents": 0, "credits": 0, "zero": 0, "low": 0},
    )
    users_with_balance = next(
        database.balances.aggregate([{"$group": {"_id": "$user"}}, {"$count": "users"}]), {"users": 0}
    )["users"]
    median = 0.0
    if totals["documents"]:
        middle = database.balances.find(numeric, {"tokenCredits": 1}).sort("tokenCredits", 1)
        median = credits_number(next(middle.skip(totals["documents"] // 2).limit(1))["tokenCredits"]) or 0.0
    outstanding_credits = credits_number(totals["credits"]) or 0.0
    held_credits = 0.0
    for document in documents_with_live_holds().values():
        credits, found = credits_number(document.get("tokenCredits")), spendable(document)
        if credits is None:
            continue
        held_credits += found.held_credits
        totals["zero"] += credits > 0 >= found.available_credits
        totals["low"] += credits >= LOW_BALANCE_CREDITS > found.available_credits
    return BalanceOverview(
        total_users=database.users.count_documents({}),
        users_with_balance=users_with_balance,
        users_at_zero=totals["zero"],
        users_below_1m=totals["low"],
        average_credits=outstanding_credits / totals["documents"] if totals["documents"] else 0.0,
        median_credits=median,
        outstanding_credits=outstanding_credits,
        held_credits=held_credits,
    )
