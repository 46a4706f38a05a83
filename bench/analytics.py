"""Usage analytics at scale: transactions over 90 days for 2,000 users (1,000,000 by default).

1. The 30-day Overview's numbers from the rollups against the same numbers from a live
   aggregation of `transactions` and `conversations` on the same server (target: >= 20x faster).
2. An incremental refresh after 1% new transactions (10,000 of 1,000,000) as a ratio to a full
   rebuild (target: <= 0.05).
3. The rollup tables' size.

    .venv/bin/python bench/analytics.py [--transactions N]
"""

import argparse
import os
import random
from datetime import timedelta

import harness

USERS, DAYS = 2_000, 90
# The embedded server scans the whole collection for every `_id` range (see bench/README.md):
# a week per aggregation keeps a rebuild of 90 days to 13 of them.
os.environ.setdefault("USAGE_CHUNK_HOURS", "168")


def seed(transaction_count: int) -> None:
    from balances.management.commands.seed_demo import insert_in_chunks

    from librechat.demo_data import build_activity, build_people, ensure_librechat_indexes
    from librechat.mongo import librechat_db

    database = librechat_db()
    ensure_librechat_indexes(database)
    rng = random.Random(1)
    until = utc_now()
    people = build_people(rng, USERS, until)
    database.users.insert_many(people.users)
    database.balances.insert_many(people.balances)
    database.agents.insert_many(people.agents)
    activity = build_activity(rng, people, transaction_count, DAYS, until - timedelta(minutes=30))
    # Messages play no part in usage analytics: generated (same random sequence) but not stored.
    insert_in_chunks(database, ((name, doc) for name, doc in activity if name != "messages"))


def insert_new_transactions(count: int) -> None:
    """`count` spending rows written in the last five minutes, as LibreChat writes them."""
    from analytics.testing import id_at
    from librechat.demo_data import PRICES_PER_MILLION_TOKENS
    from librechat.documents import spending_transaction
    from librechat.mongo import librechat_db

    database = librechat_db()
    rng = random.Random(2)
    users = [doc["_id"] for doc in database.users.find({}, {"_id": 1})]
    now = utc_now()
    rows = []
    for _ in range(count // 2):
        when = now - timedelta(seconds=rng.randint(0, 299))
        user, model = rng.choice(users), rng.choice(list(PRICES_PER_MILLION_TOKENS))
        conversation_id = rng.randbytes(16).hex()
        for token_type, tokens, rate in zip(
            ("prompt", "completion"),
            (rng.randint(200, 4_000), rng.randint(50, 1_500)),
            PRICES_PER_MILLION_TOKENS[model],
            strict=True,
        ):
            rows.append(
                spending_transaction(
                    user,
                    token_type=token_type,
                    tokens=tokens,
                    rate=rate,
                    model=model,
                    conversation_id=conversation_id,
                    created_at=when,
                    transaction_id=id_at(when),
                )
            )
    for start in range(0, len(rows), 5_000):
        database.transactions.insert_many(rows[start : start + 5_000], ordered=False)


def utc_now():
    from django.utils import timezone

    return timezone.now()


def overview_from_rollups(period) -> dict:
    """What the Overview page computes (its summary cards and its chart)."""
    from analytics import reports

    return {"summary": reports.summary(period), "points": reports.usage_over_time(period)["points"]}


def overview_live(period) -> dict:
    """The same numbers straight from MongoDB, grouped on the server over the period's `_id` range.

    Distinct users are counted by grouping on the user first (a hash group), not `$addToSet`,
    which the embedded server evaluates in time quadratic in the set's size.
    """
    from bson import ObjectId

    from librechat.mongo import librechat_db

    database = librechat_db()
    match = {"_id": {"$gte": ObjectId.from_datetime(period.start), "$lt": ObjectId.from_datetime(period.end)}}
    spending = {**match, "tokenType": {"$in": ["prompt", "completion"]}}

    def abs_sum(field):
        return {"$sum": {"$abs": {"$ifNull": [f"${field}", 0]}}}

    def when(token_type, value):
        return {"$sum": {"$cond": [{"$eq": ["$tokenType", token_type]}, value, 0]}}

    by_type = {
        group["_id"]: group
        for group in database.transactions.aggregate(
            [
                {"$match": match},
                {
                    "$group": {
                        "_id": "$tokenType",
                        "rows": {"$sum": 1},
                        "raw": abs_sum("rawAmount"),
                        "cost": abs_sum("tokenValue"),
                        "value": {"$sum": "$tokenValue"},
                        "read": abs_sum("readTokens"),
                        "write": abs_sum("writeTokens"),
                    }
                },
            ],
            allowDiskUse=True,
        )
    }
    users = list(
        database.transactions.aggregate([{"$match": spending}, {"$group": {"_id": "$user"}}, {"$count": "users"}])
    )
    day = {"$dateTrunc": {"date": {"$toDate": "$_id"}, "unit": "day"}}
    days = list(
        database.transactions.aggregate(
            [
                {"$match": spending},
                {
                    "$group": {
                        "_id": {"day": day, "user": "$user"},
                        "cost": abs_sum("tokenValue"),
                        "prompt": when("prompt", {"$abs": "$rawAmount"}),
                        "completion": when("completion", {"$abs": "$rawAmount"}),
                        "requests": when("completion", 1),
                    }
                },
                {
                    "$group": {
                        "_id": "$_id.day",
                        "cost": {"$sum": "$cost"},
                        "prompt": {"$sum": "$prompt"},
                        "completion": {"$sum": "$completion"},
                        "requests": {"$sum": "$requests"},
                        "users": {"$sum": 1},
                    }
                },
            ],
            allowDiskUse=True,
        )
    )
    parts = [by_type.get(name, {}) for name in ("prompt", "completion")]
    return {
        "totalCost": sum(part.get("cost", 0) for part in parts) / 1e6,
        "promptTokens": parts[0].get("raw", 0),
        "completionTokens": parts[1].get("raw", 0),
        "cacheReadTokens": sum(part.get("read", 0) for part in parts),
        "cacheWriteTokens": sum(part.get("write", 0) for part in parts),
        "activeUsers": users[0]["users"] if users else 0,
        "requests": parts[1].get("rows", 0),
        "creditsGranted": by_type.get("credits", {}).get("value", 0),
        "conversations": database.conversations.count_documents(match),
        "days": len(days),
    }


def timed(function, *args):
    with harness.COUNTER.measure() as figures:
        result = function(*args)
    return result, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--new", type=int, help="New transactions before the incremental refresh (default 1%%).")
    arguments = parser.parse_args()
    transaction_count = arguments.transactions
    new_count = arguments.new or transaction_count // 100
    harness.start()
    from django.db import connection

    from analytics.models import AgentConversation, ConversationRollup, UsageRollup
    from analytics.periods import parse_period
    from analytics.rollup import rebuild_usage, refresh_usage

    print(f"{transaction_count:,} transactions over {DAYS} days for {USERS:,} users (USAGE_CHUNK_HOURS=168)")
    _, seeded = timed(seed, transaction_count)
    print(f"  seeded in {seeded['wall_seconds']:.1f} s")

    rebuilt, rebuild = timed(rebuild_usage)
    print(
        f"  full rebuild: {rebuild['wall_seconds']:.1f} s, {rebuilt.chunks_done} chunks, {rebuild['commands']} commands"
    )

    period = parse_period("30d")
    rolled, from_rollups = timed(overview_from_rollups, period)
    live, from_live = timed(overview_live, period)
    summary = rolled["summary"]
    for key, value in live.items():
        if key != "days":
            assert abs(summary[key] - value) <= 1e-6 * max(1, abs(value)), (key, summary[key], value)
    ratio = from_live["wall_seconds"] / from_rollups["wall_seconds"]
    print(
        f"  30-day Overview: rollups {from_rollups['wall_seconds'] * 1000:.0f} ms ({from_rollups['commands']} MongoDB"
        f" commands), live {from_live['wall_seconds']:.2f} s ({from_live['commands']} commands):"
        f" {ratio:.0f}x faster (target >= 20x); every number equal"
    )

    insert_new_transactions(new_count)
    refreshed, incremental = timed(refresh_usage)
    ratio = incremental["wall_seconds"] / rebuild["wall_seconds"]
    print(
        f"  incremental refresh after {new_count:,} new transactions: {incremental['wall_seconds']:.1f} s,"
        f" {refreshed.chunks_done} chunk(s) = {ratio:.3f} of the rebuild (target <= 0.05)"
    )
    assert overview_from_rollups(parse_period("24h"))["summary"]["requests"] >= new_count // 2

    with connection.cursor() as cursor:
        cursor.execute("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'analytics_%'")
        table_bytes = cursor.fetchone()[0] or 0
    print(
        f"  rollup tables: {UsageRollup.objects.count():,} usage rows, {ConversationRollup.objects.count():,}"
        f" conversation rows, {AgentConversation.objects.count():,} agent conversations;"
        f" {table_bytes / 1e6:.1f} MB in SQLite with indexes"
    )


if __name__ == "__main__":
    main()
