"""The balances changelist at 5,000 and 20,000 users: MongoDB commands per page (target: constant
in page size and user count) and server time against the equivalent raw pymongo queries (target:
<= 2x); then a top-up of all 20,000 users: round trips (target: <= 50) and time against raw
bulk_write + insert_many of the same writes (target: <= 2x)."""

import os
import re

import harness

PAGES = {"changelist": {}, "search 'dave'": {"q": "dave"}, "below 1M": {"credits": "below_1000000"}}


def raw_page(database, match: dict, per_page: int, user_match: dict | None = None) -> None:
    """What a changelist page needs, written by hand: count, one sorted page, its users, their balances."""
    if user_match is not None:
        match = {**match, "user": {"$in": [u["_id"] for u in database.users.find(user_match, {"_id": 1})]}}
    database.balances.count_documents(match)
    page = list(database.balances.find(match).sort([("tokenCredits", -1), ("_id", 1)]).limit(per_page))
    user_ids = [doc["user"] for doc in page]
    list(database.users.find({"_id": {"$in": user_ids}}))
    list(database.balances.find({"user": {"$in": user_ids}}, {"user": 1, "tokenCredits": 1}).sort("_id", 1))


def measure_pages(client, database, per_page: int) -> dict:
    from balances.admin import BalanceAdmin

    BalanceAdmin.list_per_page = per_page
    results = {}
    for name, params in PAGES.items():
        client.get("/admin/balances/balance/", params)  # warm caches
        with harness.COUNTER.measure() as ours:
            response = client.get("/admin/balances/balance/", params)
        assert response.status_code == 200, response.status_code
        term = params.get("q")
        user_match = None
        if term:
            pattern = re.compile(re.escape(term), re.IGNORECASE)
            user_match = {"$or": [{"email": pattern}, {"name": pattern}, {"username": pattern}]}
        match = {"tokenCredits": {"$lt": 1_000_000}} if "credits" in params else {}
        with harness.COUNTER.measure() as raw:
            raw_page(database, match, per_page, user_match)
        results[name] = (ours, raw)
    return results


def main() -> None:
    # Measured in the request, as before batches this large went to the worker.
    os.environ["BACKGROUND_BATCH_MIN_USERS"] = "1000000"
    harness.start()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.test import Client
    from pymongo import UpdateOne

    from ledger.models import ChangeBatch
    from librechat.documents import credits_transaction
    from librechat.models import LibreChatUser
    from librechat.mongo import librechat_db
    from librechat.queries import earliest_balances

    database = librechat_db()
    client = Client()
    client.force_login(User.objects.create_superuser("bench", password="x"))

    harness.seed(5_000)
    small = {per_page: measure_pages(client, database, per_page) for per_page in (100, 400)}
    harness.seed(15_000, seed=2)  # 20,000 users in all
    large = {per_page: measure_pages(client, database, per_page) for per_page in (100, 400)}

    print("Balances changelist: MongoDB commands per page (ours / raw), server time ratio ours:raw")
    for users, table in (("5,000", small), ("20,000", large)):
        for per_page, results in table.items():
            for name, (ours, raw) in results.items():
                ratio = ours["server_seconds"] / raw["server_seconds"]
                print(
                    f"  {users:>6} users, {per_page} per page, {name:<14} {ours['commands']:>2} / {raw['commands']}"
                    f" commands, server {ours['server_seconds'] * 1000:7.1f} ms vs {raw['server_seconds'] * 1000:7.1f}"
                    f" ms = {ratio:.2f}x"
                )

    # The admin action on "all users matching" in the LibreChat users list, as an operator runs it.
    user_ids = list(LibreChatUser.objects.values_list("id", flat=True))
    action = {"action": "top_up", "select_across": "1", "index": "0", "_selected_action": str(user_ids[0])}
    chosen = {**action, "step": "choose", "batch_id": "bench", "amount_preset": "1000000"}
    review = client.post("/admin/balances/librechatuser/", chosen).content.decode()
    review_token = re.search(r'name="review_token" value="([^"]+)"', review).group(1)
    applied = {**chosen, "step": "apply", "confirm_count": str(len(user_ids)), "review_token": review_token}
    with harness.COUNTER.measure() as ours:
        response = client.post("/admin/balances/librechatuser/", applied)
    assert response.status_code == 302, response.status_code
    assert ChangeBatch.objects.get(batch_id="bench").changes.filter(status="applied").count() == len(user_ids)

    balances = {doc["user"]: doc["_id"] for doc in database.balances.find({}, {"user": 1}).sort("_id", -1)}
    with harness.COUNTER.measure() as raw:
        database.transactions.insert_many([credits_transaction(u, 1_000_000) for u in user_ids], ordered=False)
        database.balances.bulk_write(
            [
                UpdateOne({"_id": balances[u]}, {"$inc": {"tokenCredits": 1_000_000}})
                if u in balances
                else UpdateOne({"user": u}, {"$inc": {"tokenCredits": 1_000_000}}, upsert=True)
                for u in user_ids
            ],
            ordered=False,
        )
    # The ledger's one read per chunk, alone: on this server a $in costs the square of its length.
    with harness.COUNTER.measure() as reads:
        for start in range(0, len(user_ids), settings.LEDGER_BATCH_SIZE):
            earliest_balances(user_ids[start : start + settings.LEDGER_BATCH_SIZE])
    print(f"Top-up of all {len(user_ids)} users (the admin action, confirm step):")
    print(f"  ours: {ours['commands']} round trips, {ours['wall_seconds']:.2f} s")
    print(f"  raw bulk_write + insert_many: {raw['commands']} round trips, {raw['wall_seconds']:.2f} s")
    print(f"  ratio: {ours['wall_seconds'] / raw['wall_seconds']:.2f}x (targets: <= 50 round trips, <= 2x)")
    print(f"  of ours, balance reads by $in of {settings.LEDGER_BATCH_SIZE} ids: {reads['wall_seconds']:.2f} s")
    rest = ours["wall_seconds"] - reads["wall_seconds"]
    print(f"  ratio without those reads: {rest / raw['wall_seconds']:.2f}x")


if __name__ == "__main__":
    main()
