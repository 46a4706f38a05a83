"""Usage analytics at scale: transactions over 90 days for 2,000 users (1,000,000 by default).

1. The 30-day Overview's numbers from the rollups against the same numbers from a live
   aggregation of `transactions` and `conversations` on the same server (target: >= 20x faster).
2. An incremental refresh after 10,000 new transactions as a ratio to a full rebuild (target: <= 0.05).
3. The rollup tables' size.

    .venv/bin/python bench/analytics.py [--transactions N]
"""

import argparse
import os
import random
from datetime import timedelta

import harness

USERS, DAYS, NEW_TRANSACTIONS = 2_000, 90, 10_000
# The embedded server scans the whole collection for every `_id` range (see bench/README.md):
# a week per aggregation keeps a rebuild of 90 days to 13 of them.
os.environ.setdefault("USAGE_CHUNK_HOURS", "168")


def seed(transaction_count: int) -> None:
    from balancemgr.mongo import librechat_db
    from balances.demo_data import build_activity, build_people, ensure_librechat_indexes
    from balances.management.commands.seed_demo import insert_in_chunks

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
    from balancemgr.mongo import librechat_db
    from balances.demo_data import PRICES_PER_MILLION_TOKENS
    from balances.documents import spending_transaction

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
    """The same numbers straight from MongoDB: three aggregations over the period's `_id` range."""
    from bson import ObjectId

    from balancemgr.mongo import librechat_db

    database = librechat_db()
    match = {"_id": {"$gte": ObjectId.from_datetime(period.start), "$lt": ObjectId.from_datetime(period.end)}}

    def abs_sum(field):
        return {"$sum": {"$abs": {"$ifNull": [f"${field}", 0]}}}

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
                        "input": abs_sum("inputTokens"),
                        "users": {"$addToSet": "$user"},
                    }
                },
            ],
            allowDiskUse=True,
        )
    }
    spending = [by_type.get(name, {}) for name in ("prompt", "completion")]
    days = list(
        database.transactions.aggregate(
            [
                {"$match": {**match, "tokenType": {"$in": ["prompt", "completion"]}}},
                {
                    "$group": {
                        "_id": {"$dateTrunc": {"date": {"$toDate": "$_id"}, "unit": "day"}},
                        "cost": abs_sum("tokenValue"),
                        "prompt": {"$sum": {"$cond": [{"$eq": ["$tokenType", "prompt"]}, {"$abs": "$rawAmount"}, 0]}},
                        "completion": {
                            "$sum": {"$cond": [{"$eq": ["$tokenType", "completion"]}, {"$abs": "$rawAmount"}, 0]}
                        },
                        "requests": {"$sum": {"$cond": [{"$eq": ["$tokenType", "completion"]}, 1, 0]}},
                        "users": {"$addToSet": "$user"},
                    }
                },
            ],
            allowDiskUse=True,
        )
    )
    return {
        "totalCost": sum(part.get("cost", 0) for part in spending) / 1e6,
        "promptTokens": spending[0].get("raw", 0),
        "completionTokens": spending[1].get("raw", 0),
        "cacheReadTokens": sum(part.get("read", 0) for part in spending),
        "cacheWriteTokens": sum(part.get("write", 0) for part in spending),
        "activeUsers": len({user for part in spending for user in part.get("users", [])}),
        "requests": spending[1].get("rows", 0),
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
    transaction_count = parser.parse_args().transactions
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

    insert_new_transactions(NEW_TRANSACTIONS)
    refreshed, incremental = timed(refresh_usage)
    ratio = incremental["wall_seconds"] / rebuild["wall_seconds"]
    print(
        f"  incremental refresh after {NEW_TRANSACTIONS:,} new transactions: {incremental['wall_seconds']:.1f} s,"
        f" {refreshed.chunks_done} chunk(s) = {ratio:.3f} of the rebuild (target <= 0.05)"
    )
    assert overview_from_rollups(parse_period("24h"))["summary"]["requests"] >= NEW_TRANSACTIONS // 2

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
