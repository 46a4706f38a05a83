"""One user's audit history (by user id and by exact email, as the user page and a search that
matches one email ask for it) and its totals, among 100,000 and among 1,000,000 audit rows: the
query plans (an index is used) and the time ratio between the two sizes (target: <= 1.5x). A
substring search may scan: its time at 1,000,000 rows is printed too.

    .venv/bin/python bench/history.py                       # SQLite (two throw-away files)
    .venv/bin/python bench/history.py --database-url postgres://h/small --large-database-url postgres://h/large

The two sizes live in two empty databases and are timed alternately, user by user, so a busy
machine slows both alike. Only our own database is involved; LibreChat's MongoDB is not used.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SMALL, LARGE = 100_000, 1_000_000
ROWS_PER_USER = 5  # users measured keep the same rows at both sizes: only the table grows
ROWS_PER_BATCH = 1_000
INSERT_CHUNK = 10_000
SAMPLE_USERS = 200
SMALL_ALIAS, LARGE_ALIAS = "default", "large"
SUBSTRING_RUNS = 5


def setup(small_url: str, large_url: str) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "balancemgr.settings",
            "DATABASE_URL": small_url,
            "MONGO_URI": "mongodb://127.0.0.1:9/unused",
            "DEBUG": "0",
            "SECRET_KEY": "bench-only",
            "WEBHOOK_SECRET": "bench-only-signing-secret",
            "LOG_LEVEL": "WARNING",
        }
    )
    import django
    import environ
    from django.conf import settings
    from django.core.management import call_command

    settings.DATABASES[LARGE_ALIAS] = environ.Env.db_url_config(large_url)
    django.setup()
    for alias in (SMALL_ALIAS, LARGE_ALIAS):
        call_command("migrate", database=alias, verbosity=0)


def user_id(number: int) -> str:
    return f"{number:024x}"


def email(number: int) -> str:
    return f"user{number}@example.com"


def add_rows(alias: str, users: int, rng: random.Random) -> None:
    """ROWS_PER_USER audit rows for each of `users` users, a minute apart, in batches of 1,000."""
    from django.db import connections, transaction

    from ledger.models import ChangeBatch

    start = datetime(2024, 1, 1, tzinfo=UTC)
    columns = (
        "batch_id, librechat_user_id, email, requested_credits, reason, before_credits, after_credits, "
        "delta_credits, status, error, transaction_id, created_at, updated_at"
    )
    insert = f"INSERT INTO audit_balancechange ({columns}) VALUES ({', '.join(['%s'] * 13)})"
    # Each user's rows are spread over the whole history, as regular users' top-ups are.
    pairs = [(u, r) for r in range(ROWS_PER_USER) for u in rng.sample(range(users), users)]
    connection = connections[alias]
    for offset in range(0, len(pairs), INSERT_CHUNK):
        chunk = pairs[offset : offset + INSERT_CHUNK]
        batches = ChangeBatch.objects.using(alias).bulk_create(
            ChangeBatch(batch_id=f"bench-{offset + n}", kind="add", source="cli", actor="bench")
            for n in range(0, len(chunk), ROWS_PER_BATCH)
        )
        rows = []
        for index, (number, row) in enumerate(chunk):
            delta = rng.choice([1_000_000, 5_000_000, -20_000])
            at = start + timedelta(minutes=offset + index)
            batch = batches[index // ROWS_PER_BATCH].pk
            audit_row = (batch, user_id(number), email(number), abs(delta), "", 0.0, float(delta), float(delta))
            rows.append((*audit_row, "applied", "", f"{number:016x}{row:08x}", at, at))
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            cursor.executemany(insert, rows)
    if connection.vendor == "postgresql":  # autovacuum would; SQLite installs never run ANALYZE
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def history_page(changes) -> list:
    """What the history list runs: the filtered count, then one page, newest first, with batches."""
    from audit.admin_history import BalanceChangeAdmin

    changes = changes.select_related("batch").order_by(*BalanceChangeAdmin.ordering)
    changes.count()
    return list(changes[:100])


def queries(alias: str) -> dict:
    """What the history asks for one user: a page (as the changelist) and the totals."""
    from ledger.history import history_totals
    from ledger.models import BalanceChange

    changes = BalanceChange.objects.using(alias)
    return {
        "page by user id": lambda n: history_page(changes.filter(librechat_user_id=user_id(n))),
        "page by exact email": lambda n: history_page(changes.filter(email=email(n))),
        "totals by user id": lambda n: history_totals(changes.filter(librechat_user_id=user_id(n))),
        "totals by exact email": lambda n: history_totals(changes.filter(email=email(n))),
    }


def substring_queries(alias: str) -> dict:
    from ledger.history import history_totals
    from ledger.models import BalanceChange

    def search(n):
        changes = BalanceChange.objects.using(alias).filter(email__icontains=f"ser{n}@")
        return history_page(changes), history_totals(changes)

    return {"substring search (page + totals)": search}


def time_alternately(small: dict, large: dict, numbers: list[int]) -> tuple[dict, dict]:
    """Median seconds per call over the sample, each user asked of both sizes in turn."""
    timings = {name: ([], []) for name in small}
    for functions in (small, large):  # warm up both
        for function in functions.values():
            function(numbers[0])
    for number in numbers:
        for name in small:
            for index, functions in enumerate((small, large)):
                started = time.perf_counter()
                functions[name](number)
                timings[name][index].append(time.perf_counter() - started)
    medians = {name: (statistics.median(a), statistics.median(b)) for name, (a, b) in timings.items()}
    return {name: m[0] for name, m in medians.items()}, {name: m[1] for name, m in medians.items()}


def print_plans(alias: str, functions: dict, number: int) -> None:
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    connection = connections[alias]
    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    for name, function in functions.items():
        with CaptureQueriesContext(connection) as captured:
            function(number)
        for query in captured.captured_queries:
            print(f"\n-- {name}: {query['sql'][:160]}...")
            with connection.cursor() as cursor:
                cursor.execute(explain + query["sql"])  # captured SQL has its parameters inlined
                for row in cursor.fetchall():
                    print("   ", " ".join(str(part) for part in row))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="An empty database for 100,000 rows (default: SQLite file).")
    parser.add_argument("--large-database-url", help="An empty database for 1,000,000 rows (default: SQLite file).")
    arguments = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="history-bench-")
    setup(
        arguments.database_url or f"sqlite:///{workdir}/small.sqlite3",
        arguments.large_database_url or f"sqlite:///{workdir}/large.sqlite3",
    )
    from django.db import connections

    from ledger.models import BalanceChange

    for alias in (SMALL_ALIAS, LARGE_ALIAS):
        if BalanceChange.objects.using(alias).exists():
            sys.exit(f"The {alias} database already holds audit rows; give the bench an empty one.")
    vendor = connections[LARGE_ALIAS].vendor
    rng = random.Random(1)
    for alias, rows in ((SMALL_ALIAS, SMALL), (LARGE_ALIAS, LARGE)):
        started = time.perf_counter()
        add_rows(alias, rows // ROWS_PER_USER, rng)
        loaded = BalanceChange.objects.using(alias).count()
        print(f"{vendor}: {loaded:,} rows loaded in {time.perf_counter() - started:.0f} s")
    sample = rng.sample(range(SMALL // ROWS_PER_USER), SAMPLE_USERS)
    small, large = time_alternately(queries(SMALL_ALIAS), queries(LARGE_ALIAS), sample)
    _, substring = time_alternately(
        substring_queries(SMALL_ALIAS), substring_queries(LARGE_ALIAS), sample[:SUBSTRING_RUNS]
    )

    print_plans(LARGE_ALIAS, {**queries(LARGE_ALIAS), **substring_queries(LARGE_ALIAS)}, sample[0])
    print(f"\n{vendor:36} {'100k ms':>9} {'1M ms':>9} {'ratio':>7}")
    for name in small:
        ratio = large[name] / small[name]
        print(f"{name:36} {small[name] * 1000:9.2f} {large[name] * 1000:9.2f} {ratio:6.2f}x")
    for name, seconds in substring.items():
        print(f"{name:36} {'':>9} {seconds * 1000:9.1f}   (scans: no index serves a substring)")


if __name__ == "__main__":
    main()
