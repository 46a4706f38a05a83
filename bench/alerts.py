"""The low-balance check after N new transactions reads only what changed, whatever the number of users.

For each install size: seed users with balances, run a first (full) check, add N spending transactions
LibreChat-style (row, then `$inc`), then measure (a) reading those N transactions once and (b) the
check. Prints MongoDB commands and server seconds, and (b)/(a). Target: within 2x, not growing with users.

    .venv/bin/python bench/alerts.py [--users 10000,100000] [--transactions 10000]
"""

import argparse
import random

import harness


def seed_users(count: int) -> list:
    from bson import ObjectId

    from librechat import documents
    from librechat.demo_data import ensure_librechat_indexes
    from librechat.mongo import librechat_db

    database = librechat_db()
    ensure_librechat_indexes(database)  # LibreChat's own: balances.user, transactions.user, users.email
    user_ids = []
    for start in range(0, count, 5000):
        numbers = range(start, min(count, start + 5000))
        users = [documents.user(f"user{n}@example.com", name=f"User {n}") for n in numbers]
        database.users.insert_many(users)
        rng = random.Random(start)
        balances = [documents.balance(user["_id"], rng.randint(1_000_000, 50_000_000)) for user in users]
        database.balances.insert_many(balances)
        user_ids += [user["_id"] for user in users]
    assert all(isinstance(user_id, ObjectId) for user_id in user_ids)
    return user_ids


def spend(user_ids: list, count: int) -> None:
    from django.utils import timezone
    from pymongo import UpdateOne

    from librechat import documents
    from librechat.mongo import librechat_db

    database = librechat_db()
    rng = random.Random(7)
    chosen = [rng.choice(user_ids) for _ in range(count)]
    now = timezone.now()
    rows = [
        documents.spending_transaction(
            user_id, token_type="prompt", tokens=500, rate=1.0, model="gpt-4o", conversation_id="c1", created_at=now
        )
        for user_id in chosen
    ]
    database.transactions.insert_many(rows)
    database.balances.bulk_write([UpdateOne({"user": user_id}, {"$inc": {"tokenCredits": -500}}) for user_id in chosen])


def measure(users: int, transactions: int) -> dict:
    from bson import ObjectId

    from alerts.models import CheckState
    from alerts.thresholds import check_low_balances
    from librechat.mongo import librechat_db

    harness.clear()
    CheckState.objects.all().delete()
    user_ids = seed_users(users)
    check_low_balances(lambda crossing: None, full=True)
    spend(user_ids, transactions)
    since = ObjectId(CheckState.load().last_transaction_id)
    with harness.COUNTER.measure() as read_once:
        rows = list(librechat_db().transactions.find({"_id": {"$gt": since}}, {"user": 1}))
    assert len(rows) == transactions
    with harness.COUNTER.measure() as check:
        result = check_low_balances(lambda crossing: None)
    assert not result.full
    return {"users": users, "checked": result.users_checked, "read_once": read_once, "check": check}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", default="10000,100000")
    parser.add_argument("--transactions", type=int, default=10_000)
    arguments = parser.parse_args()
    harness.start()
    from django.conf import settings

    settings.LOW_BALANCE_THRESHOLDS = [1_000_000, 0]
    print(f"{arguments.transactions:,} new transactions; (a) read them once, (b) the alert check")
    print("users      checked  (a) cmds  (a) server s  (b) cmds  (b) server s  (b) wall s  (b)/(a) server")
    for users in [int(text) for text in arguments.users.split(",")]:
        figures = measure(users, arguments.transactions)
        a, b = figures["read_once"], figures["check"]
        ratio = b["server_seconds"] / a["server_seconds"]
        print(
            f"{users:<10,} {figures['checked']:>7,}  {a['commands']:>8}  {a['server_seconds']:>12.3f}  "
            f"{b['commands']:>8}  {b['server_seconds']:>12.3f}  {b['wall_seconds']:>10.2f}  {ratio:>14.2f}"
        )


if __name__ == "__main__":
    main()
