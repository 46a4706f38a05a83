import random
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from pymongo.errors import BulkWriteError

from librechat.demo_data import build_activity, build_people, demo_until, ensure_librechat_indexes
from librechat.mongo import librechat_db

INSERT_CHUNK = 5_000


class Command(BaseCommand):
    help = (
        "Write a realistic LibreChat data set (users, balances, agents, conversations, messages and "
        "priced transactions) into the configured MongoDB. Exit code 1 if the database already holds "
        "users and --force is not given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=200, help="How many users (default 200).")
        parser.add_argument("--days", type=int, default=30, help="Days of activity (default 30).")
        parser.add_argument("--transactions", type=int, help="How many transaction rows (default 20 per user).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed; same seed, same data.")
        parser.add_argument(
            "--until",
            type=datetime.fromisoformat,
            help="Last day of activity, YYYY-MM-DD (default today, UTC).",
        )
        parser.add_argument("--force", action="store_true", help="Write even though the database already holds users.")

    def handle(self, *args, users, days, transactions, seed, until, force, **options):
        if users < 1 or days < 1 or (transactions is not None and transactions < 0):
            raise CommandError("--users and --days must be at least 1, --transactions at least 0.")
        database = librechat_db()
        if not force and database.users.count_documents({}, limit=1):
            raise CommandError(
                f"Database {database.name!r} already holds users; refusing to seed. Use --force to add anyway."
            )
        ensure_librechat_indexes(database)
        rng = random.Random(seed)
        until = demo_until(until)
        people = build_people(rng, users, until)
        transaction_count = users * 20 if transactions is None else transactions
        try:
            database.users.insert_many(people.users, ordered=False)
            database.balances.insert_many(people.balances, ordered=False)
            database.agents.insert_many(people.agents, ordered=False)
            written = insert_in_chunks(database, build_activity(rng, people, transaction_count, days, until))
        except BulkWriteError as exc:
            raise CommandError(
                f"Seed {seed} was already written into {database.name!r} (duplicate ids); use another --seed."
            ) from exc
        self.stdout.write(
            f"Seeded {database.name!r}: {len(people.users)} users, {len(people.balances)} balances, "
            f"{len(people.agents)} agents, {written.get('transactions', 0)} transactions, "
            f"{written.get('conversations', 0)} conversations, {written.get('messages', 0)} messages."
        )


def insert_in_chunks(database, documents_by_collection) -> dict[str, int]:
    """Insert (collection, document) pairs with one `insert_many` per chunk and collection."""
    pending: dict[str, list[dict]] = {}
    written: dict[str, int] = {}

    def flush(name: str) -> None:
        if pending.get(name):
            database[name].insert_many(pending[name], ordered=False)
            written[name] = written.get(name, 0) + len(pending[name])
            pending[name] = []

    for name, document in documents_by_collection:
        pending.setdefault(name, []).append(document)
        if len(pending[name]) >= INSERT_CHUNK:
            flush(name)
    for name in list(pending):
        flush(name)
    return written
