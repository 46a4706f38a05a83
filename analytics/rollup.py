"""Incremental rollups of LibreChat's `transactions` and `conversations` into this tool's database.

LibreChat indexes `_id` but not `createdAt`, so every read is an `_id` range and a row's time is
its ObjectId's time. A refresh re-aggregates whole hours from `USAGE_LAG_MINUTES` before the
watermark (rows written late by another LibreChat process still count) and replaces the rollup
rows of those hours by what MongoDB answers now: running it twice changes nothing.
"""

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bson import ObjectId
from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from pymongo.database import Database
from pymongo.errors import PyMongoError

from analytics.models import (
    MILLICREDITS_PER_CREDIT,
    AgentConversation,
    ConversationRollup,
    RollupState,
    UsageRollup,
)
from analytics.periods import HOUR, floor_hour
from librechat.documents import credits_number
from librechat.mongo import describe_mongo_error, librechat_db
from librechat.queries import VALID_AMOUNTS, is_finite_number, tenant_ids, valid_abs_sum

logger = logging.getLogger(__name__)

AGENT_MODEL_PREFIX = "agent_"
_HOUR_OF_ID = {"$dateTrunc": {"date": {"$toDate": "$_id"}, "unit": "hour"}}
_USAGE_VALUES = ["rows", "raw_tokens", "input_tokens", "cache_write_tokens", "cache_read_tokens", "invalid_rows"]
_USAGE_FIELDS = [*_USAGE_VALUES, "cost_millicredits", "granted_millicredits"]
_USAGE_KEY = ["hour", "user_id", "model", "agent_id", "token_type"]
ProgressCallback = Callable[[int, int], None]


@dataclass
class RefreshResult:
    chunks_done: int
    chunks_total: int
    covered_until: datetime | None

    @property
    def finished(self) -> bool:
        return self.chunks_done == self.chunks_total


def refresh_usage(
    *, deadline: float | None = None, on_chunk: ProgressCallback | None = None, now: datetime | None = None
) -> RefreshResult:
    """Bring the rollups up to `now`, chunk by chunk; stop after the chunk that passes `deadline` (monotonic)."""
    database = librechat_db()
    now = now or timezone.now()
    state = RollupState.load()
    lag = timedelta(minutes=settings.USAGE_LAG_MINUTES)
    start = floor_hour(state.covered_until - lag) if state.covered_until else _first_activity(database)
    chunk = timedelta(hours=settings.USAGE_CHUNK_HOURS)
    chunks = list(_chunks(start, floor_hour(now) + HOUR, chunk)) if start else []
    agents = database.agents.find({"id": {"$type": "string"}}, {"id": 1, "model": 1})
    agent_models = {doc["id"]: doc.get("model") or doc["id"] for doc in agents}
    done = 0
    for chunk_start, chunk_end in chunks:
        with transaction.atomic():
            # Serialises concurrent refreshes (cron and a page) on PostgreSQL.
            state = RollupState.objects.select_for_update().get(pk=state.pk)
            _roll_up_chunk(database, chunk_start, chunk_end, lag, agent_models)
            state.covered_until = min(chunk_end, now)
            state.refreshed_at = timezone.now()
            state.save()
        done += 1
        if on_chunk:
            on_chunk(done, len(chunks))
        if deadline is not None and time.monotonic() > deadline:
            break
    if not chunks:
        # Nothing in LibreChat yet: the first rows will be found from the start next time.
        RollupState.objects.filter(pk=state.pk).update(refreshed_at=timezone.now())
    return RefreshResult(done, len(chunks), RollupState.load().covered_until)


def rebuild_usage(*, on_chunk: ProgressCallback | None = None) -> RefreshResult:
    """Forget every rollup and recompute from LibreChat's first transaction."""
    with transaction.atomic():
        for model in (UsageRollup, ConversationRollup, AgentConversation, RollupState):
            model.objects.all().delete()
    return refresh_usage(on_chunk=on_chunk)


@dataclass
class Freshness:
    state: RollupState
    error: str = ""
    catching_up: bool = False


def refresh_if_stale() -> Freshness:
    """For pages: refresh when older than USAGE_MAX_AGE_SECONDS, within USAGE_PAGE_REFRESH_SECONDS."""
    state = RollupState.load()
    age = state.age_seconds()
    if age is not None and age <= settings.USAGE_MAX_AGE_SECONDS:
        return Freshness(state)
    try:
        result = refresh_usage(deadline=time.monotonic() + settings.USAGE_PAGE_REFRESH_SECONDS)
    except PyMongoError as exc:
        return Freshness(RollupState.load(), f"Not refreshed: {describe_mongo_error(exc)}")
    except DatabaseError:
        # Another refresh holds the lock (SQLite says "database is locked"): show what is there.
        logger.warning("usage refresh skipped for a page", exc_info=True)
        return Freshness(RollupState.load(), "Not refreshed: another refresh is running.")
    return Freshness(RollupState.load(), catching_up=not result.finished)


def _roll_up_chunk(database: Database, start: datetime, end: datetime, lag: timedelta, agent_models: dict) -> None:
    # Conversations a little past the chunk too: LibreChat saves a conversation after its first rows.
    _sync_agent_conversations(database, start, end + lag)
    conversations = _conversation_counts(database, start, end)
    usage = _usage(database, start, end, agent_models)
    _add_tenants([conversations, usage])
    _replace_hours(ConversationRollup, ["hour", "user_id"], start, end, conversations)
    _replace_hours(UsageRollup, _USAGE_KEY, start, end, usage)


def _add_tenants(rollups: list[dict[tuple, dict]]) -> None:
    """Each row's `tenant_id`: its user's tenant (one probe without tenants, one `$in` of the chunk's users with)."""
    user_ids = {key[1] for rows in rollups for key in rows}
    tenants = tenant_ids(ObjectId(user_id) for user_id in user_ids if ObjectId.is_valid(user_id))
    for rows in rollups:
        for key, values in rows.items():
            tenant_id = tenants.get(ObjectId(key[1])) if ObjectId.is_valid(key[1]) else None
            values["tenant_id"] = tenant_id if isinstance(tenant_id, str) else ""


def _first_activity(database: Database) -> datetime | None:
    firsts = [
        doc["_id"].generation_time
        for name in ("transactions", "conversations")
        for doc in database[name].find({}, {"_id": 1}).sort("_id", 1).limit(1)
        if isinstance(doc["_id"], ObjectId)
    ]
    return floor_hour(min(firsts)) if firsts else None


def _chunks(start: datetime, end: datetime, chunk: timedelta) -> Iterable[tuple[datetime, datetime]]:
    while start < end:
        yield start, min(start + chunk, end)
        start += chunk


def _id_range(start: datetime, end: datetime) -> dict:
    return {"_id": {"$gte": ObjectId.from_datetime(start), "$lt": ObjectId.from_datetime(end)}}


def _abs_sum(field: str) -> dict:
    return valid_abs_sum(f"${field}")


def _number(value: object) -> float:
    # Sums of Decimal128 rows come back as Decimal128; anything odd was already left out of the sum.
    return credits_number(value) or 0.0


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _conversation_counts(database: Database, start: datetime, end: datetime) -> dict[tuple, dict]:
    pipeline = [
        {"$match": _id_range(start, end)},
        {"$group": {"_id": {"hour": _HOUR_OF_ID, "user": "$user"}, "conversations": {"$sum": 1}}},
    ]
    return {
        (_aware(group["_id"]["hour"]), str(group["_id"].get("user") or "")): {"conversations": group["conversations"]}
        for group in database.conversations.aggregate(pipeline)
    }


def _sync_agent_conversations(database: Database, start: datetime, end: datetime) -> None:
    found = {
        doc["conversationId"]: str(doc["agent_id"])
        for doc in database.conversations.find(
            {**_id_range(start, end), "endpoint": "agents"}, {"conversationId": 1, "agent_id": 1}
        )
        if doc.get("conversationId") and doc.get("agent_id")
    }
    known = dict(
        AgentConversation.objects.filter(conversation_id__in=list(found)).values_list("conversation_id", "agent_id")
    )
    AgentConversation.objects.bulk_create(
        [AgentConversation(conversation_id=c, agent_id=a) for c, a in found.items() if c not in known], batch_size=500
    )
    for conversation_id, agent_id in found.items():
        if known.get(conversation_id, agent_id) != agent_id:
            AgentConversation.objects.filter(conversation_id=conversation_id).update(agent_id=agent_id)


def _usage(database: Database, start: datetime, end: datetime, agent_models: dict[str, str]) -> dict[tuple, dict]:
    """Rollup rows for [start, end), keyed like UsageRollup, with agents resolved both ways."""
    pipeline = [
        {"$match": _id_range(start, end)},
        {
            "$group": {
                # The conversation is in the key only so that newer agent rows can be resolved below.
                "_id": {
                    "hour": _HOUR_OF_ID,
                    "user": "$user",
                    "model": "$model",
                    "tokenType": "$tokenType",
                    "conversationId": "$conversationId",
                },
                "rows": {"$sum": 1},
                "raw_tokens": _abs_sum("rawAmount"),
                "input_tokens": _abs_sum("inputTokens"),
                "cache_write_tokens": _abs_sum("writeTokens"),
                "cache_read_tokens": _abs_sum("readTokens"),
                "abs_value": _abs_sum("tokenValue"),
                "value": {"$sum": {"$cond": [is_finite_number("$tokenValue"), "$tokenValue", 0]}},
                "invalid_rows": {"$sum": {"$cond": [VALID_AMOUNTS, 0, 1]}},
            }
        },
    ]
    groups = list(database.transactions.aggregate(pipeline, allowDiskUse=True))
    conversation_agents = _agents_of_conversations({g["_id"].get("conversationId") for g in groups})
    rows: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(_USAGE_FIELDS, 0))
    for group in groups:
        key = group["_id"]
        model = str(key.get("model") or "")
        token_type = str(key.get("tokenType") or "")
        agent_id = conversation_agents.get(key.get("conversationId"), "")
        if model.startswith(AGENT_MODEL_PREFIX):
            agent_id, model = model, agent_models.get(model, model)
        row = rows[(_aware(key["hour"]), str(key.get("user") or ""), model, agent_id, token_type)]
        for name in _USAGE_VALUES:
            row[name] += round(_number(group[name]))
        # Rounded per group, then summed as integers: the same rows always give the same total.
        if token_type == "credits":
            row["granted_millicredits"] += round(_number(group["value"]) * MILLICREDITS_PER_CREDIT)
        else:
            row["cost_millicredits"] += round(_number(group["abs_value"]) * MILLICREDITS_PER_CREDIT)
    return rows


def _agents_of_conversations(conversation_ids: set) -> dict[str, str]:
    ids = [c for c in conversation_ids if isinstance(c, str)]
    found: dict[str, str] = {}
    for offset in range(0, len(ids), 500):
        batch = AgentConversation.objects.filter(conversation_id__in=ids[offset : offset + 500])
        found.update(batch.values_list("conversation_id", "agent_id"))
    return found


def _replace_hours(model, key_fields: list[str], start: datetime, end: datetime, wanted: dict[tuple, dict]) -> None:
    """Make the rows of hours [start, end) equal `wanted`, writing only the differences."""
    existing = {
        tuple(getattr(row, name) for name in key_fields): row
        for row in model.objects.filter(hour__gte=start, hour__lt=end)
    }
    stale = [row.pk for key, row in existing.items() if key not in wanted]
    new, changed = [], []
    for key, values in wanted.items():
        row = existing.get(key)
        if row is None:
            new.append(model(**dict(zip(key_fields, key, strict=True)), **values))
        elif any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            changed.append(row)
    for offset in range(0, len(stale), 500):
        model.objects.filter(pk__in=stale[offset : offset + 500]).delete()
    if changed:
        model.objects.bulk_update(changed, list(next(iter(wanted.values()))), batch_size=500)
    model.objects.bulk_create(new, batch_size=1000)
