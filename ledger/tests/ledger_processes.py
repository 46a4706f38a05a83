"""For tests that run the ledger in real processes: their environment, LibreChat data, and the
check that balances, LibreChat's history and the audit rows agree after crashes or races."""

import itertools
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bson import ObjectId
from django.conf import settings
from pymongo import MongoClient
from pymongo.database import Database

from librechat import documents

ROOT = Path(__file__).resolve().parents[2]
MARKER = "balanceManagerChanges"
_database_numbers = itertools.count(1)


def own_database_uri(name_prefix: str, server_uri: str | None = None) -> str:
    """The test server's URI with a database of its own, away from `test_LibreChat` and its flushes."""
    parts = urlsplit(server_uri or settings.DATABASES["librechat"]["HOST"])
    return urlunsplit(parts._replace(path=f"/{name_prefix}_{os.getpid()}_{next(_database_numbers)}"))


def mongo_database(uri: str) -> Database:
    return MongoClient(uri, serverSelectionTimeoutMS=5000).get_default_database()


def migrated_sqlite(template_dir: Path, target: Path) -> Path:
    """A migrated SQLite file for our own database (the migration runs once per template dir)."""
    template = template_dir / "migrated.sqlite3"
    if not template.exists():
        env = {**os.environ, "DEBUG": "true", "DATABASE_URL": f"sqlite:///{template}", "MONGO_TIMEOUT_MS": "200"}
        subprocess.run([sys.executable, "manage.py", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True)
    shutil.copy(template, target)
    return target


def command_env(sqlite_path: Path, mongo_uri: str, **extra: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("LEDGER_TEST_")},
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{sqlite_path}",
        "MONGO_URI": mongo_uri,
        "LEDGER_LEASE_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


class PausedProcess:
    """`manage.py` started with a ledger pause point, returned once it says it is paused there."""

    def __init__(self, args: list[str], env: dict, step: str, pause_seconds: float = 30):
        pause = {"LEDGER_TEST_PAUSE_AT": step, "LEDGER_TEST_PAUSE_SECONDS": str(pause_seconds)}
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**env, **pause},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        watchdog = threading.Timer(60, self.process.kill)
        watchdog.start()
        self.stderr_lines = []
        try:
            for line in self.process.stderr:
                self.stderr_lines.append(line)
                if line.strip() == f"ledger paused at {step}":
                    self.pause_ends_at = time.monotonic() + pause_seconds
                    return
        finally:
            watchdog.cancel()
        raise AssertionError(f"never paused at {step}: {''.join(self.stderr_lines)}")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.process.stdout.close()
        self.process.stderr.close()

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        """Let it run on after the pause: (exit code, stdout, the rest of stderr)."""
        stdout, stderr = self.process.communicate(timeout=timeout)
        return self.process.returncode, stdout, "".join(self.stderr_lines) + stderr


@dataclass
class Seeded:
    """LibreChat users as created, with the balance LibreChat reads for each (0 without a document)."""

    emails: dict[ObjectId, str]
    start_credits: dict[ObjectId, float | str]


def seed_users(
    database: Database, start_credits: list[float | str | None], *, duplicate_balance_for: int = -1
) -> Seeded:
    """One user per entry (None: no balance document, a string: a broken one); one may get a later,
    duplicate balance document."""
    emails, starts = {}, {}
    for number, credits in enumerate(start_credits):
        user = documents.user(f"user{number}@example.com")
        database.users.insert_one(user)
        if credits is not None:
            database.balances.insert_one(documents.balance(user["_id"], credits))
        if number == duplicate_balance_for:
            database.balances.insert_one(documents.balance(user["_id"], 777))  # older installs hold duplicates
        emails[user["_id"]] = user["email"]
        starts[user["_id"]] = credits or 0
    return Seeded(emails, starts)


# Six users: one without a balance document, one with an older duplicate, and one whose balance is
# not a number (hand-edited): the ledger refuses that one without writing anything for it.
ODD_START_CREDITS = [1_000_000, 0, None, 2_500_000, 40, "12abc"]


@dataclass
class Workspace:
    """A fresh SQLite file and MongoDB database seeded with ODD_START_CREDITS, and the env to run manage.py on them."""

    database: Database
    sqlite_path: Path
    seeded: Seeded
    env: dict[str, str]


@contextmanager
def crash_workspace(name_prefix: str, template_dir: Path, tmp_path: Path, **env: str) -> Iterator[Workspace]:
    uri = own_database_uri(name_prefix)
    database = mongo_database(uri)
    seeded = seed_users(database, ODD_START_CREDITS, duplicate_balance_for=3)
    sqlite_path = migrated_sqlite(template_dir, tmp_path / "balancemgr.sqlite3")
    try:
        yield Workspace(database, sqlite_path, seeded, command_env(sqlite_path, uri, **env))
    finally:
        database.client.drop_database(database.name)
        database.client.close()


def librechat_spends(database: Database, seeded: Seeded, amount_credits: float) -> None:
    """What LibreChat does while we are down: charge each user with a balance, with its history row."""
    for user_id in seeded.emails:
        document = database.balances.find_one({"user": user_id}, sort=[("_id", 1)])
        if document is None or isinstance(document["tokenCredits"], str):
            continue
        database.balances.update_one({"_id": document["_id"]}, {"$inc": {"tokenCredits": -amount_credits}})
        database.transactions.insert_one(
            documents.spending_transaction(
                user_id,
                token_type="prompt",
                tokens=int(amount_credits),
                rate=1,
                model="gpt-test",
                conversation_id="c",
                created_at=documents.timezone.now(),
            )
        )


def audit_rows(sqlite_path: Path) -> list[dict]:
    with sqlite3.connect(sqlite_path) as connection:
        connection.row_factory = sqlite3.Row
        rows = connection.execute(
            "SELECT c.*, b.batch_id AS batch_name, b.kind FROM audit_balancechange c "
            "JOIN audit_changebatch b ON b.id = c.batch_id"
        ).fetchall()
    return [dict(row) for row in rows]


def assert_consistent(database: Database, sqlite_path: Path, seeded: Seeded) -> list[dict]:
    """Balances agree with LibreChat's history, each audit row is applied or failed with nothing
    written for it, and nobody got a change twice. Returns the audit rows for further checks."""
    rows = audit_rows(sqlite_path)
    transactions = {row["_id"]: row for row in database.transactions.find({"user": {"$in": list(seeded.emails)}})}
    for user_id, start in seeded.start_credits.items():
        balance = database.balances.find_one({"user": user_id}, sort=[("_id", 1)])
        history = sum(t["tokenValue"] for t in transactions.values() if t["user"] == user_id)
        credits = balance["tokenCredits"] if balance else 0
        if isinstance(start, str):  # a balance that is not a number is refused, never touched
            assert (credits, history) == (start, 0), seeded.emails[user_id]
            continue
        assert credits == start + history, (seeded.emails[user_id], credits, start, history)
    markers = {
        (str(document["user"]), str(entry["id"])): entry["delta"]
        for document in database.balances.find({"user": {"$in": list(seeded.emails)}})
        for entry in document.get(MARKER, [])
    }
    for row in rows:
        key = (row["librechat_user_id"], row["transaction_id"])
        transaction = transactions.get(ObjectId(row["transaction_id"]))
        assert row["status"] in ("applied", "failed"), row
        if row["status"] == "failed":
            assert transaction is None and key not in markers, row
        elif row["delta_credits"] == 0:
            assert transaction is None, row
        else:
            assert transaction["tokenValue"] == row["delta_credits"] == markers[key], (row, transaction)
            assert row["after_credits"] == (row["before_credits"] or 0) + row["delta_credits"], row
    credit_rows = Counter(t["user"] for t in transactions.values() if t["tokenType"] == "credits")
    applied_changes = Counter(
        ObjectId(row["librechat_user_id"]) for row in rows if row["status"] == "applied" and row["delta_credits"]
    )
    assert credit_rows == applied_changes, "a credits row without an applied change, or two for one change"
    assert len({(r["batch_name"], r["librechat_user_id"]) for r in rows}) == len(rows)
    return rows
