"""Usage reports from the rollups: one function per JSON endpoint and admin page.

Each takes a `Period` (see `analytics.periods.parse_period`) and returns plain dicts and lists,
ready for JSON; `user_id` (a LibreChat user id as a string) narrows a report to one user.
Callers refresh first with `analytics.rollup.refresh_if_stale()`. Costs are USD
(`abs(tokenValue) / 1e6` as LibreChat priced each row, never re-priced), rounded to 6 decimals;
times are ISO 8601 in UTC. `credits` rows (grants and refills) are never spend.

The peer dashboard these replace (LibreChat Analytics Dashboard, Node/Express) publishes its
endpoint paths but not its response bodies, so the shapes follow its naming style (camelCase):

"measures" below stand for {totalCost, promptCost, completionCost, totalTokens, promptTokens,
completionTokens, cacheReadTokens, cacheWriteTokens, requests}.

- `summary` -> {period, ...measures, inputTokens, activeUsers, conversations, creditsGranted,
  creditsGrantedCost, grants}   (creditsGranted in credits, net of any lowering; grants = rows)
- `top_users` -> [{userId, email, name, tenant, ...measures, conversations, balance, daysLeft}]
  (balance in credits as LibreChat stores it, null without a balance document; odd stored values
  such as strings stay as they are for the page to show as invalid; daysLeft null when nothing was
  spent or the balance is not a number)
- `top_models` -> [{model, ...measures, users}]
- `top_agents` -> [{agentId, name, model, ...measures, users}]   (a row per agent and model)
- `email_domains` -> [{domain, ...measures, users}]   (chargeback by the users' email domains)
- `cost_breakdown` -> {period, totalCost, byTokenType: {prompt, completion}, bySource: {direct,
  agents}, byModel: [{model, cost, share}]}   (share in percent of totalCost)
- `usage_over_time` -> {period, bucket, points: [{time, totalCost, promptTokens,
  completionTokens, requests, activeUsers}]}   (every bucket of the period, empty ones as 0)

`period` is {name, start, end, bucket}. Requests are completion rows (one per model call).
"""

from collections.abc import Callable
from datetime import UTC, timedelta

from bson import ObjectId
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from analytics.models import MILLICREDITS_PER_CREDIT, ConversationRollup, UsageRollup
from analytics.periods import Period
from librechat.credits import CREDITS_PER_USD
from librechat.documents import credits_number
from librechat.models import Agent, LibreChatUser
from librechat.queries import SPENDING_TOKEN_TYPES, earliest_balances

MAX_TOP_LIMIT = 100
_MILLICREDITS_PER_USD = MILLICREDITS_PER_CREDIT * CREDITS_PER_USD


def usd(millicredits: int | None) -> float:
    return round((millicredits or 0) / _MILLICREDITS_PER_USD, 6)


def credits_from_millicredits(millicredits: int | None) -> float:
    return (millicredits or 0) / MILLICREDITS_PER_CREDIT


def days_until_empty(stored_balance: object, spent_credits: float, elapsed_days: float) -> float | None:
    """Days until the balance reaches zero at the period's average daily spend; None if it never does
    or if the stored balance is not a number."""
    balance_credits = credits_number(stored_balance)
    if balance_credits is None or spent_credits <= 0 or elapsed_days <= 0:
        return None
    return round(max(balance_credits, 0) / (spent_credits / elapsed_days), 1)


def parse_limit(value: str | None, *, default: int = 10) -> int:
    """`limit` from a query string: a whole number from 1 to MAX_TOP_LIMIT, or a ValidationError."""
    if value is None or value == "":
        return default
    text = str(value).strip()
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_TOP_LIMIT):
        raise ValidationError(f"limit must be a whole number from 1 to {MAX_TOP_LIMIT}, not {text[:20]!r}.")
    return int(text)


def period_json(period: Period) -> dict:
    return {
        "name": period.name,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "bucket": period.bucket,
    }


def summary(period: Period, user_id: str | None = None) -> dict:
    totals = _spending(period, user_id).aggregate(**_measures())
    grants = (
        _rollups(period, user_id)
        .filter(token_type="credits")
        .aggregate(granted=Sum("granted_millicredits", default=0), grants=Sum("rows", default=0))
    )
    conversations = _conversations(period, user_id).aggregate(total=Sum("conversations", default=0))["total"]
    invalid = _rollups(period, user_id).aggregate(rows=Sum("invalid_rows", default=0))["rows"]
    return {
        "period": period_json(period),
        **_measures_json(totals),
        "inputTokens": totals["input_tokens"],
        "activeUsers": totals["users"],
        "conversations": conversations,
        "creditsGranted": credits_from_millicredits(grants["granted"]),
        "creditsGrantedCost": usd(grants["granted"]),
        "grants": grants["grants"],
        "invalidTransactions": invalid,
    }


def top_users(period: Period, limit: int = 10) -> list[dict]:
    """The users who spent most, with their balance and how long it lasts at their pace."""
    rows = list(_spending(period).values("user_id").annotate(**_measures()).order_by("-cost", "user_id")[:limit])
    user_ids = [row["user_id"] for row in rows]
    object_ids = [ObjectId(user_id) for user_id in user_ids if ObjectId.is_valid(user_id)]
    users = LibreChatUser.objects.in_bulk(object_ids)
    balances = earliest_balances(object_ids)
    conversations = dict(
        _conversations(period)
        .filter(user_id__in=user_ids)
        .values("user_id")
        .annotate(total=Sum("conversations"))
        .values_list("user_id", "total")
    )
    elapsed_days = _elapsed_days(period)
    result = []
    for row in rows:
        object_id = ObjectId(row["user_id"]) if ObjectId.is_valid(row["user_id"]) else None
        user = users.get(object_id)
        balance = balances.get(object_id, {}).get("tokenCredits")
        result.append(
            {
                "userId": row["user_id"],
                "email": user.email if user else None,
                "name": user.name if user else None,
                "tenant": user.tenant_id if user else None,
                **_measures_json(row),
                "conversations": conversations.get(row["user_id"], 0),
                "balance": balance,
                "daysLeft": days_until_empty(balance, credits_from_millicredits(row["cost"]), elapsed_days),
            }
        )
    return result


def top_models(period: Period, user_id: str | None = None) -> list[dict]:
    """Cost and tokens per model; agent usage counts under the agent's underlying model."""
    rows = _spending(period, user_id).values("model").annotate(**_measures()).order_by("-cost", "model")
    return [{"model": row["model"], **_measures_json(row), "users": row["users"]} for row in rows]


def top_agents(period: Period, user_id: str | None = None) -> list[dict]:
    rows = list(
        _spending(period, user_id)
        .exclude(agent_id="")
        .values("agent_id", "model")
        .annotate(**_measures())
        .order_by("-cost", "agent_id", "model")
    )
    names = dict(Agent.objects.filter(agent_id__in={row["agent_id"] for row in rows}).values_list("agent_id", "name"))
    return [
        {
            "agentId": row["agent_id"],
            "name": names.get(row["agent_id"]),
            "model": row["model"],
            **_measures_json(row),
            "users": row["users"],
        }
        for row in rows
    ]


def email_domains(period: Period) -> list[dict]:
    """Cost per email domain of the users who spent (chargeback), most first; "(no email)" for users without one."""
    return [{"domain": row.pop("group"), **row} for row in grouped_spending(period, _email_domains)]


def grouped_spending(period: Period, group_of: Callable[[list[ObjectId]], dict[ObjectId, str]]) -> list[dict]:
    """Cost per group of the users who spent, most first: `group_of` names each user's group (a domain, a tier)."""
    rows = list(_spending(period).values("user_id").annotate(**_measures()))
    groups = group_of([ObjectId(row["user_id"]) for row in rows if ObjectId.is_valid(row["user_id"])])
    by_group: dict[str, list[dict]] = {}
    for row in rows:
        user_id = ObjectId(row["user_id"]) if ObjectId.is_valid(row["user_id"]) else None
        by_group.setdefault(groups.get(user_id, ""), []).append(row)
    result = []
    for group, user_rows in by_group.items():
        totals = {key: sum(row[key] for row in user_rows) for key in user_rows[0] if key != "user_id"}
        result.append({"group": group, **_measures_json(totals), "users": len(user_rows)})
    return sorted(result, key=lambda row: (-row["totalCost"], row["group"]))


def _email_domains(user_ids: list[ObjectId]) -> dict[ObjectId, str]:
    emails = dict(LibreChatUser.objects.filter(pk__in=user_ids).values_list("pk", "email"))
    return {
        user_id: email.rpartition("@")[2].lower() if "@" in (email := emails.get(user_id) or "") else "(no email)"
        for user_id in user_ids
    }


def cost_breakdown(period: Period) -> dict:
    spending = _spending(period)
    totals = spending.aggregate(**_measures())
    by_source = spending.aggregate(
        agents=Sum("cost_millicredits", filter=~Q(agent_id=""), default=0),
        direct=Sum("cost_millicredits", filter=Q(agent_id=""), default=0),
    )
    by_model = spending.values("model").annotate(cost=Sum("cost_millicredits")).order_by("-cost", "model")
    return {
        "period": period_json(period),
        "totalCost": usd(totals["cost"]),
        "byTokenType": {"prompt": usd(totals["prompt_cost"]), "completion": usd(totals["completion_cost"])},
        "bySource": {"direct": usd(by_source["direct"]), "agents": usd(by_source["agents"])},
        "byModel": [
            {"model": row["model"], "cost": usd(row["cost"]), "share": _percent(row["cost"], totals["cost"])}
            for row in by_model
        ],
    }


def usage_over_time(period: Period, user_id: str | None = None) -> dict:
    """One point per hour (24h and short custom periods) or per UTC day, including empty ones."""
    trunc = TruncHour("hour", tzinfo=UTC) if period.bucket == "hour" else TruncDay("hour", tzinfo=UTC)
    rows = {
        row["bucket"]: row
        for row in _spending(period, user_id).annotate(bucket=trunc).values("bucket").annotate(**_measures())
    }
    step = timedelta(hours=1) if period.bucket == "hour" else timedelta(days=1)
    moment = period.start if period.bucket == "hour" else period.start.replace(hour=0)
    points = []
    while moment < period.end:
        row = rows.get(moment) or {}
        points.append(
            {
                "time": moment.isoformat(),
                "totalCost": usd(row.get("cost")),
                "promptTokens": row.get("prompt_tokens", 0),
                "completionTokens": row.get("completion_tokens", 0),
                "requests": row.get("requests", 0),
                "activeUsers": row.get("users", 0),
            }
        )
        moment += step
    return {"period": period_json(period), "bucket": period.bucket, "points": points}


def daily_cost_and_grants(period: Period) -> list[dict]:
    """[{day, costUsd, grantedUsd}] for every UTC day of the period, empty days as 0, from the rollups alone."""
    rows = {
        row["day"]: row
        for row in _rollups(period)
        .annotate(day=TruncDay("hour", tzinfo=UTC))
        .values("day")
        .annotate(
            cost=Sum("cost_millicredits", filter=Q(token_type__in=SPENDING_TOKEN_TYPES), default=0),
            granted=Sum("granted_millicredits", default=0),
        )
    }
    days, moment = [], period.start.replace(hour=0)
    while moment < period.end:
        row = rows.get(moment) or {}
        days.append(
            {"day": moment.date().isoformat(), "costUsd": usd(row.get("cost")), "grantedUsd": usd(row.get("granted"))}
        )
        moment += timedelta(days=1)
    return days


def _rollups(period: Period, user_id: str | None = None) -> QuerySet:
    rollups = _of_tenant(UsageRollup.objects.filter(hour__gte=period.start, hour__lt=period.end), period)
    return rollups if user_id is None else rollups.filter(user_id=user_id)


def _spending(period: Period, user_id: str | None = None) -> QuerySet:
    return _rollups(period, user_id).filter(token_type__in=SPENDING_TOKEN_TYPES)


def _conversations(period: Period, user_id: str | None = None) -> QuerySet:
    conversations = ConversationRollup.objects.filter(hour__gte=period.start, hour__lt=period.end)
    conversations = _of_tenant(conversations, period)
    return conversations if user_id is None else conversations.filter(user_id=user_id)


def _of_tenant(rollups: QuerySet, period: Period) -> QuerySet:
    if period.tenant is not None:
        rollups = rollups.filter(tenant_id=period.tenant)
    if period.within_tenants is not None:
        rollups = rollups.filter(tenant_id__in=sorted(period.within_tenants))
    return rollups


def _elapsed_days(period: Period) -> float:
    return (min(period.end, timezone.now()) - period.start).total_seconds() / 86_400


def _measures() -> dict:
    prompt, completion = Q(token_type="prompt"), Q(token_type="completion")
    return {
        "cost": Sum("cost_millicredits", default=0),
        "prompt_cost": Sum("cost_millicredits", filter=prompt, default=0),
        "completion_cost": Sum("cost_millicredits", filter=completion, default=0),
        "prompt_tokens": Sum("raw_tokens", filter=prompt, default=0),
        "completion_tokens": Sum("raw_tokens", filter=completion, default=0),
        "input_tokens": Sum("input_tokens", default=0),
        "cache_read_tokens": Sum("cache_read_tokens", default=0),
        "cache_write_tokens": Sum("cache_write_tokens", default=0),
        "requests": Sum("rows", filter=completion, default=0),
        "users": Count("user_id", distinct=True),
    }


def _measures_json(row: dict) -> dict:
    return {
        "totalCost": usd(row["cost"]),
        "promptCost": usd(row["prompt_cost"]),
        "completionCost": usd(row["completion_cost"]),
        "totalTokens": row["prompt_tokens"] + row["completion_tokens"],
        "promptTokens": row["prompt_tokens"],
        "completionTokens": row["completion_tokens"],
        "cacheReadTokens": row["cache_read_tokens"],
        "cacheWriteTokens": row["cache_write_tokens"],
        "requests": row["requests"],
    }


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 2) if whole else 0.0
