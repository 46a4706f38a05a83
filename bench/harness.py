"""Shared set-up for the bench scripts: a fresh in-memory server, Django on it, a command counter.

Benchmarks report counts and ratios measured in one run on the same server, never absolute
targets: the embedded server is a Python process and much slower than MongoDB.
"""

import io
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from pymongo import monitoring

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class CommandCounter(monitoring.CommandListener):
    """Counts MongoDB commands (round trips) and the server time they took."""

    def __init__(self):
        self.commands = 0
        self.server_seconds = 0.0

    def started(self, event):
        self.commands += 1

    def succeeded(self, event):
        self.server_seconds += event.duration_micros / 1e6

    def failed(self, event):
        self.server_seconds += event.duration_micros / 1e6

    @contextmanager
    def measure(self):
        """Yields a dict filled with commands, server_seconds and wall_seconds for the block."""
        figures = {}
        commands, server_seconds, started = self.commands, self.server_seconds, time.perf_counter()
        yield figures
        figures["wall_seconds"] = time.perf_counter() - started
        figures["commands"] = self.commands - commands
        figures["server_seconds"] = self.server_seconds - server_seconds


COUNTER = CommandCounter()


def start() -> None:
    """Start the embedded server and set Django up on it with a throw-away SQLite database."""
    # Registered before any MongoClient exists, so every client reports to it.
    monitoring.register(COUNTER)
    from librechat.embedded_mongo import free_port, start_embedded_mongo, stop_embedded_mongo

    port = free_port()
    server = start_embedded_mongo(":memory:", port)
    import atexit

    atexit.register(stop_embedded_mongo, server)
    workdir = tempfile.mkdtemp(prefix="balancemgr-bench-")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "balancemgr.settings",
            "MONGO_URI": f"mongodb://127.0.0.1:{port}/LibreChat",
            "DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3",
            "DEBUG": "0",
            "SECRET_KEY": "bench-only",
            # Production checks refuse to start commands without the credit-request link settings.
            "WEBHOOK_SECRET": "bench-only-signing-secret",
            "WEBHOOK_BASE_URL": "http://localhost",
            "NOTIFY_TO": "bench@localhost",
            "LOG_LEVEL": "WARNING",
            "ALLOWED_HOSTS": "testserver,localhost",
        }
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def seed(users: int, transactions: int = 0, seed: int = 1) -> None:
    """Add demo users (a different `seed` for each call into the same database)."""
    from django.core.management import call_command

    arguments = f"--users {users} --transactions {transactions} --days 30 --seed {seed} --force"
    call_command("seed_demo", *arguments.split(), stdout=io.StringIO())


def clear() -> None:
    from librechat.mongo import librechat_db

    database = librechat_db()
    for name in ("users", "balances", "transactions", "agents", "conversations", "messages"):
        database[name].delete_many({})
