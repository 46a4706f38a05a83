"""The admin pages over LibreChat's collections at two sizes 10x apart.

For each page: wall time, the MongoDB commands it sends, and its time against the "floor": the
fewest raw pymongo queries that page needs on MongoDB (one sorted page of `_id`s, its users, the
collection's own count). On MongoDB those queries read one page whatever the collection's size;
on SecantusDB every query scans the collection (even `estimated_document_count`), so absolute
times grow with the data there and the figure that shows our own cost is ours : floor, which must
stay flat when the data grows 10x (targets: transactions pages <= 1.5x, the index <= 2x). The
transactions page as it was before (a join of every row's user, an exact count, a DISTINCT for
the context filter) is measured the same way for comparison.

    .venv/bin/python bench/admin_scale.py     # 2,000 and 20,000 transactions; ~15 min on 2 busy cores
"""

import random
import time
from datetime import UTC, datetime

import harness
from pymongo import monitoring

SIZES = [{"users": 200, "transactions": 2_000}, {"users": 2_000, "transactions": 20_000}]
PER_PAGE = 100


class CommandLog(monitoring.CommandListener):
    """The names of the commands sent while `recording` (to show no DISTINCT or full join is sent)."""

    def __init__(self):
        self.recording = False
        self.names: list[str] = []

    def started(self, event):
        if self.recording and event.command_name not in ("endSessions", "ping", "hello", "isMaster"):
            collection = event.command.get(event.command_name)
            self.names.append(
                f"{event.command_name} {collection}" if isinstance(collection, str) else event.command_name
            )

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


LOG = CommandLog()


def add_transactions(database, users: list, count: int) -> None:
    """Spending and credits rows as LibreChat writes them, 10,000 per insert."""
    from bson import ObjectId

    rng = random.Random(count)
    batch = []
    for _ in range(count):
        token_type = rng.choice(["prompt", "completion", "completion", "credits"])
        amount = rng.randint(10, 5_000)
        credit = token_type == "credits"
        created = datetime.now(UTC)
        batch.append(
            {
                "_id": ObjectId(),
                "user": rng.choice(users),
                "conversationId": f"c{rng.randint(1, 10**9)}",
                "model": rng.choice(["gpt-4o", "gpt-4o-mini", "claude-sonnet-4"]),
                "context": "admin" if credit else "message",
                "tokenType": token_type,
                "rawAmount": amount if credit else -amount,
                "rate": 1 if credit else 2.5,
                "tokenValue": amount if credit else -amount * 2.5,
                "createdAt": created,
                "updatedAt": created,
            }
        )
        if len(batch) == 10_000:
            database.transactions.insert_many(batch, ordered=False)
            batch = []
    if batch:
        database.transactions.insert_many(batch, ordered=False)


def floors(database) -> dict:
    """For each page, the fewest raw queries it needs: the page, its users, the collection's count."""

    def page_of(collection, match: dict, sort: list, per_page: int = PER_PAGE):
        def run():
            rows = list(database[collection].find(match).sort(sort).limit(per_page + 1))
            users = [row.get("user") for row in rows if row.get("user")]
            if users:
                list(database.users.find({"_id": {"$in": users}}))
            database[collection].estimated_document_count()

        return run

    middle = database.transactions.find({}, {"_id": 1}).sort("_id", -1).skip(PER_PAGE * 5).limit(1).next()["_id"]
    return {
        "transactions": page_of("transactions", {}, [("_id", -1)]),
        "transactions, older rows": page_of("transactions", {"_id": {"$lt": middle}}, [("_id", -1)]),
        "transactions, completion only": page_of("transactions", {"tokenType": "completion"}, [("_id", -1)]),
        "transactions before the fix": page_of("transactions", {}, [("_id", -1)]),
        "balances": page_of("balances", {}, [("tokenCredits", -1), ("_id", 1)]),
        "users": page_of("users", {}, [("email", 1)]),
        "index (as viewed)": lambda: database.users.estimated_document_count(),
    }, middle


def timed(run) -> tuple[float, list[str]]:
    LOG.names, LOG.recording = [], True
    started = time.perf_counter()
    run()
    seconds = time.perf_counter() - started
    LOG.recording = False
    return seconds, LOG.names


def measure(client, database) -> dict[str, tuple[float, float, list[str]]]:
    """{page: (our seconds, floor seconds, our commands)}."""
    from django.contrib.admin.filters import AllValuesFieldListFilter, ChoicesFieldListFilter
    from django.core.cache import cache
    from django.core.paginator import Paginator

    from balances.admin import TransactionAdmin
    from balances.overview import compute_balance_overview

    floor_runs, middle = floors(database)
    pages = {
        "transactions": ("/admin/balances/transaction/", {}),
        "transactions, older rows": ("/admin/balances/transaction/", {"before": str(middle)}),
        "transactions, completion only": ("/admin/balances/transaction/", {"token_type__exact": "completion"}),
        "transactions before the fix": ("/admin/balances/transaction/", {}),
        "balances": ("/admin/balances/balance/", {}),
        "users": ("/admin/balances/librechatuser/", {}),
        "index (as viewed)": ("/admin/", {}),
    }
    fixed = {name: getattr(TransactionAdmin, name) for name in ("list_select_related", "list_filter", "paginator")}
    results = {}
    for name, (url, params) in pages.items():
        if name.startswith("index"):
            client.get(url)  # fills the overview's cache, as the first view of each minute does
        if name == "transactions before the fix":
            TransactionAdmin.list_select_related = ["user"]
            TransactionAdmin.list_filter = [
                ("token_type", ChoicesFieldListFilter),
                ("context", AllValuesFieldListFilter),
            ]
            TransactionAdmin.paginator = Paginator
        seconds, commands = timed(lambda: client.get(url, params))  # noqa: B023
        for attribute, value in fixed.items():
            setattr(TransactionAdmin, attribute, value)
        floor_seconds, _ = timed(floor_runs[name])
        results[name] = (seconds, floor_seconds, commands)
    cache.clear()
    computed, commands = timed(compute_balance_overview)
    floor_seconds, _ = timed(lambda: list(database.balances.find({}, {"tokenCredits": 1})))
    results["index overview, computed (once a minute)"] = (computed, floor_seconds, commands)
    return results


def main() -> None:
    monitoring.register(LOG)
    harness.start()
    from django.contrib.auth.models import User
    from django.test import Client

    from librechat.mongo import librechat_db

    database = librechat_db()
    client = Client()
    client.force_login(User.objects.create_superuser("bench", password="x"))
    measured = []
    for seed, size in enumerate(SIZES, start=1):
        started = time.perf_counter()
        harness.seed(size["users"] - database.users.estimated_document_count(), 0, seed=seed)
        user_ids = [user["_id"] for user in database.users.find({}, {"_id": 1})]
        add_transactions(database, user_ids, size["transactions"] - database.transactions.estimated_document_count())
        seconds = time.perf_counter() - started
        print(f"seeded {size['users']:,} users, {size['transactions']:,} transactions in {seconds:.0f} s", flush=True)
        measured.append(measure(client, database))
        for name, (ours, floor, commands) in measured[-1].items():
            print(f"  {name}: {ours * 1000:.0f} ms, floor {floor * 1000:.0f} ms; {', '.join(commands)}", flush=True)

    small, large = measured
    print("| page | ours : floor, small | ours : floor, 10x | growth of ours : floor | ours, small -> 10x |")
    print("|---|---|---|---|---|")
    for name in small:
        ratio_small = small[name][0] / small[name][1]
        ratio_large = large[name][0] / large[name][1]
        print(
            f"| {name} | {ratio_small:.2f} | {ratio_large:.2f} | {ratio_large / ratio_small:.2f}x"
            f" | {small[name][0] * 1000:.0f} -> {large[name][0] * 1000:.0f} ms |"
        )


if __name__ == "__main__":
    main()
