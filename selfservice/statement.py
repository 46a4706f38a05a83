"""What a signed-in LibreChat user sees on /me/: balance, holds, auto-refill, usage, credits given, requests.

Usage comes from the analytics rollups through analytics.reports (narrowed to the user), so the
numbers are the admin's; balances from the earliest balance document, as LibreChat reads them.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bson import ObjectId
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from analytics import reports
from analytics.periods import parse_period
from analytics.rollup import Freshness, refresh_if_stale
from ledger.history import CreditsRow, credits_rows
from librechat.documents import credits_number
from librechat.queries import earliest_balances
from policies.membership import policies_of
from policies.models import Policy
from policies.schedule import next_run
from requests_app.models import CreditRequest

PERIOD_DAYS = (7, 30, 90)
HISTORY_ROWS = 50
REQUEST_ROWS = 20
REFILL_FIELDS = ["autoRefillEnabled", "refillIntervalValue", "refillIntervalUnit", "refillAmount", "lastRefill"]
REFILL_STEPS = {
    "seconds": timedelta(seconds=1),
    "minutes": timedelta(minutes=1),
    "hours": timedelta(hours=1),
    "days": timedelta(days=1),
    "weeks": timedelta(weeks=1),
}
# The journal's sources in words a LibreChat user understands.
SOURCE_LABELS = {
    "admin": _("an administrator"),
    "import": _("an administrator (file import)"),
    "cli": _("an administrator (script)"),
    "api": _("an administrator (API)"),
    "request": _("your credit request"),
    "policy": _("your credit policy"),
}
LIBRECHAT_CONTEXT_LABELS = {"autoRefill": _("auto-refill"), "admin": _("a LibreChat administrator")}


@dataclass
class Refill:
    enabled: bool
    amount_credits: float | None
    interval_value: float | None
    interval_unit: str | None
    last_refill: datetime | None
    next_refill: datetime | None


@dataclass
class Allowance:
    """The credit policy the user belongs to, in the user's terms (never the operator's notes)."""

    policy: Policy
    next_run: datetime | None


@dataclass
class Statement:
    has_balance: bool
    balance_credits: object
    held_credits: float
    available_credits: float | None
    refill: Refill
    allowance: Allowance | None
    days: int
    usage: dict
    freshness: Freshness
    credits_given: list[dict] = field(default_factory=list)
    requests: list[CreditRequest] = field(default_factory=list)


def statement_for(user_id: ObjectId, email: str, days: int) -> Statement:
    """The statement of one user over the last `days` days (one of PERIOD_DAYS)."""
    document = earliest_balances([user_id], ["reservations", *REFILL_FIELDS]).get(user_id)
    balance = document.get("tokenCredits") if document else None
    held = held_credits(document.get("reservations") if document else None)
    number = credits_number(balance)
    return Statement(
        has_balance=document is not None,
        balance_credits=balance,
        held_credits=held,
        available_credits=None if number is None else number - held,
        refill=refill_of(document or {}),
        allowance=allowance_of(user_id),
        days=days,
        freshness=refresh_if_stale(),
        usage=usage_of(str(user_id), days),
        credits_given=[credit_given(row) for row in credits_rows(user_id=user_id, limit=HISTORY_ROWS)[0]],
        # By email too: the worker links a new request to its user a moment after it is sent.
        requests=list(CreditRequest.objects.filter(Q(librechat_user_id=str(user_id)) | Q(email=email))[:REQUEST_ROWS]),
    )


def held_credits(reservations: object, now: datetime | None = None) -> float:
    """Credits held by requests in flight: LibreChat's unexpired reservations (odd entries are skipped)."""
    now = now or timezone.now()
    if not isinstance(reservations, list):
        return 0.0
    held = 0.0
    for reservation in reservations:
        if not isinstance(reservation, dict):
            continue
        amount, expires_at = credits_number(reservation.get("amount")), reservation.get("expiresAt")
        if amount is not None and isinstance(expires_at, datetime) and _aware(expires_at) > now:
            held += amount
    return held


def refill_of(document: dict) -> Refill:
    value, unit = credits_number(document.get("refillIntervalValue")), document.get("refillIntervalUnit")
    last_refill = document.get("lastRefill")
    last_refill = _aware(last_refill) if isinstance(last_refill, datetime) else None
    unit = unit if isinstance(unit, str) else None
    return Refill(
        enabled=document.get("autoRefillEnabled") is True,
        amount_credits=credits_number(document.get("refillAmount")),
        interval_value=value,
        interval_unit=unit,
        last_refill=last_refill,
        next_refill=next_refill_at(last_refill, value, unit) if last_refill else None,
    )


def next_refill_at(last_refill: datetime, value: float | None, unit: str | None) -> datetime | None:
    """LibreChat's getRefillEligibilityDate: lastRefill plus the interval, months by JavaScript's setMonth
    (which runs over into the next month: January 31 plus one month is March 2 or 3); None if unknown."""
    if value is None or value < 0 or unit not in (*REFILL_STEPS, "months"):
        return None
    try:
        if unit != "months":
            return last_refill + REFILL_STEPS[unit] * value
        month_index = last_refill.month - 1 + int(value)
        year, month = last_refill.year + month_index // 12, month_index % 12 + 1
        first_of_month = last_refill.replace(year=year, month=month, day=1)
        return first_of_month + timedelta(days=last_refill.day - 1)
    except (OverflowError, ValueError):
        return None


def allowance_of(user_id: ObjectId) -> Allowance | None:
    policy = policies_of([user_id]).get(user_id)
    if policy is None:
        return None
    return Allowance(policy, next_run(policy, timezone.now()))


def usage_of(user_id: str, days: int) -> dict:
    period = parse_period(f"{days}d")
    summary = reports.summary(period, user_id)
    return {
        "total_cost_usd": summary["totalCost"],
        "requests": summary["requests"],
        "tokens": summary["totalTokens"],
        "points": [
            {"day": point["time"][:10], "costUsd": point["totalCost"]}
            for point in reports.usage_over_time(period, user_id)["points"]
        ],
        "models": reports.top_models(period, user_id),
        "agents": reports.top_agents(period, user_id),
    }


def credit_given(row: CreditsRow) -> dict:
    """A credits row with where it came from; never the operator's free-text reason."""
    if row.change is not None:
        source = row.change.batch.source
        label = SOURCE_LABELS.get(source, source)
    else:
        label = LIBRECHAT_CONTEXT_LABELS.get(row.context, row.context or gettext("LibreChat"))
    return {"created_at": row.created_at, "amount_credits": row.amount_credits, "source": label}


def _aware(moment: datetime) -> datetime:
    # pymongo returns naive UTC datetimes unless the client is tz-aware.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
