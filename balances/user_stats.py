"""Per-user usage for `user_stats`: conversations, messages, tokens and cost."""

from collections.abc import Iterator
from datetime import datetime

from bson import ObjectId

from librechat.credits import usd_from_credits
from librechat.mongo import librechat_db
from librechat.queries import Activity, spending_by_user

COLUMNS = ["email", "name", "conversations", "messages", "tokens", "cost_usd", "invalid_transactions"]


def user_stats_rows(since: datetime | None = None) -> Iterator[dict]:
    """One row per user, by email; counts cover documents created since `since` (all time if None)."""
    database = librechat_db()
    conversations = _count_by_user_string(database.conversations, since)
    messages = _count_by_user_string(database.messages, since)
    spending = spending_by_user(since=since)
    users = database.users.find({}, {"email": 1, "name": 1}).sort([("email", 1), ("_id", 1)]).batch_size(1000)
    for user in users:
        spent = spending.get(user["_id"], Activity())
        yield {
            "email": user.get("email"),
            "name": user.get("name"),
            "conversations": conversations.get(str(user["_id"]), 0),
            "messages": messages.get(str(user["_id"]), 0),
            "tokens": spent.tokens_used,
            "cost_usd": str(usd_from_credits(spent.spent_credits)),
            "invalid_transactions": spent.invalid_rows,
        }


def _count_by_user_string(collection, since: datetime | None) -> dict[str, int]:
    # LibreChat stores `user` in conversations and messages as a string, not an ObjectId.
    match = {"_id": {"$gte": ObjectId.from_datetime(since)}} if since else {}
    pipeline = [{"$match": match}, {"$group": {"_id": "$user", "count": {"$sum": 1}}}]
    return {row["_id"]: row["count"] for row in collection.aggregate(pipeline, allowDiskUse=True)}
