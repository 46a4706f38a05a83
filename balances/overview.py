"""The numbers on the admin index: how much credit is out there and who is running low.

Every figure counts users by the balance document LibreChat uses (their earliest), as the
balances list's filters and the top-up review do; documents are counted apart where they differ.
"""

import math
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from librechat.credits import format_usd
from librechat.documents import credits_number
from librechat.mongo import librechat_db
from librechat.queries import documents_with_live_holds, duplicate_balance_ids
from librechat.reservations import spendable

DEFAULT_LOW_BALANCE_CREDITS = 1_000_000
# Every figure reads every balance document: kept for a minute, with its age on the page.
OVERVIEW_CACHE_SECONDS = 60
OVERVIEW_CACHE_KEY = "balance-overview"


@dataclass
class BalanceOverview:
    total_users: int
    users_with_balance: int
    balance_documents: int
    users_at_zero: int
    users_low: int
    low_balance_credits: int
    average_credits: float
    median_credits: float
    outstanding_credits: float
    held_credits: float
    computed_at: datetime

    @property
    def users_without_balance(self) -> int:
        return max(0, self.total_users - self.users_with_balance)

    @property
    def outstanding_usd(self) -> str:
        return format_usd(self.outstanding_credits)

    @property
    def available_credits(self) -> float:
        return self.outstanding_credits - self.held_credits

    @property
    def age_seconds(self) -> int:
        return int((timezone.now() - self.computed_at).total_seconds())


def low_balance_credits() -> int:
    """The highest of LOW_BALANCE_THRESHOLDS (the alerts' first warning), or 1M credits when none is above 0."""
    return max((n for n in settings.LOW_BALANCE_THRESHOLDS if n > 0), default=DEFAULT_LOW_BALANCE_CREDITS)


def balance_overview() -> BalanceOverview:
    """The overview, computed at most once a minute per cache."""
    return cache.get_or_set(OVERVIEW_CACHE_KEY, compute_balance_overview, OVERVIEW_CACHE_SECONDS)


def compute_balance_overview() -> BalanceOverview:
    """One group and one median over the users' effective balance documents, two collection counts and the holds.

    "At zero" and "low" count available credits (credits less in-flight holds), as the
    balances list's filters they link to do.
    """
    database = librechat_db()
    low = low_balance_credits()
    duplicates = duplicate_balance_ids()
    # Numbers only (Decimal128 included); NaN and Infinity would poison every sum.
    effective = {"tokenCredits": {"$type": "number", "$nin": [math.nan, math.inf, -math.inf]}}
    if duplicates:
        effective["_id"] = {"$nin": duplicates}
    totals = next(
        database.balances.aggregate(
            [
                {"$match": effective},
                {
                    "$group": {
                        "_id": None,
                        "documents": {"$sum": 1},
                        "credits": {"$sum": "$tokenCredits"},
                        "zero": {"$sum": {"$cond": [{"$lte": ["$tokenCredits", 0]}, 1, 0]}},
                        "low": {"$sum": {"$cond": [{"$lt": ["$tokenCredits", low]}, 1, 0]}},
                    }
                },
            ]
        ),
        {"documents": 0, "credits": 0, "zero": 0, "low": 0},
    )
    median = 0.0
    if totals["documents"]:
        middle = database.balances.find(effective, {"tokenCredits": 1}).sort("tokenCredits", 1)
        median = credits_number(next(middle.skip(totals["documents"] // 2).limit(1))["tokenCredits"]) or 0.0
    outstanding_credits = credits_number(totals["credits"]) or 0.0
    balance_documents = database.balances.estimated_document_count()
    held_credits = 0.0
    for balance_id, document in documents_with_live_holds().items():
        if balance_id in duplicates:
            continue
        credits, found = credits_number(document.get("tokenCredits")), spendable(document)
        if credits is None:
            continue
        held_credits += found.held_credits
        totals["zero"] += credits > 0 >= found.available_credits
        totals["low"] += credits >= low > found.available_credits
    return BalanceOverview(
        total_users=database.users.estimated_document_count(),
        users_with_balance=balance_documents - len(duplicates),
        balance_documents=balance_documents,
        users_at_zero=totals["zero"],
        users_low=totals["low"],
        low_balance_credits=low,
        average_credits=outstanding_credits / totals["documents"] if totals["documents"] else 0.0,
        median_credits=median,
        outstanding_credits=outstanding_credits,
        held_credits=held_credits,
        computed_at=timezone.now(),
    )
