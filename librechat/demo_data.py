"""A realistic, deterministic LibreChat data set for the demo, the tests and bench/."""

import random
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bson import ObjectId

from librechat import documents
from librechat.credits import LIBRECHAT_START_BALANCE_CREDITS

# USD per 1M tokens (LibreChat's `tx` table): with 1M credits = 1 USD this is also the
# credits-per-token rate LibreChat stores in `rate`.
PRICES_PER_MILLION_TOKENS = {
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "o3": (2.00, 8.00),
    "claude-sonnet-4": (3.00, 15.00),
    "claude-opus-4": (15.00, 75.00),
    "claude-haiku-4-5": (1.00, 5.00),
    "gemini-2.5-pro": (1.25, 10.00),
    "gemini-2.5-flash": (0.30, 2.50),
}
AGENTS = [
    ("Research Assistant", "openAI", "gpt-4o"),
    ("Code Reviewer", "anthropic", "claude-sonnet-4"),
    ("Support Triage", "openAI", "gpt-4o-mini"),
    ("Legal Summariser", "anthropic", "claude-opus-4"),
    ("Data Analyst", "google", "gemini-2.5-pro"),
]
FIRST_NAMES = [
    "Alice",
    "Bob",
    "Carol",
    "Dave",
    "Erin",
    "Frank",
    "Grace",
    "Heidi",
    "Ivan",
    "Judy",
    "Karl",
    "Laura",
    "Mallory",
    "Niaj",
    "Olivia",
    "Peggy",
    "Quentin",
    "Rupert",
    "Sybil",
    "Trent",
    "Uma",
    "Victor",
    "Wendy",
    "Xavier",
    "Yara",
    "Zoe",
]
LAST_NAMES = [
    "Porter",
    "Nguyen",
    "Smith",
    "Okafor",
    "Garcia",
    "Müller",
    "Rossi",
    "Kowalski",
    "Tanaka",
    "Silva",
    "Johansson",
    "Dubois",
    "Fischer",
    "Haddad",
    "Ivanova",
    "Kim",
    "Larsen",
    "Moreau",
    "Novak",
    "Patel",
]


# The indexes LibreChat's Mongoose schemas declare on the collections we read; a demo or a
# benchmark without them would measure collection scans LibreChat never does.
LIBRECHAT_INDEXES = {
    "users": ["email"],
    "balances": ["user"],
    "transactions": ["user", "conversationId", "model"],
    "conversations": ["user", "conversationId"],
    "messages": ["user", "conversationId"],
    "agents": ["id", "author"],
}


@dataclass
class DemoDataSet:
    users: list[dict]
    balances: list[dict]
    agents: list[dict]
    transaction_count: int


class _Ids:
    """ObjectIds made from the seed, so the same seed yields the same documents."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def at(self, when: datetime) -> ObjectId:
        return ObjectId(struct.pack(">I", int(when.timestamp())) + self.rng.randbytes(8))


def build_people(rng: random.Random, user_count: int, until: datetime) -> DemoDataSet:
    """Users, balances (with gaps and one duplicate) and agents."""
    ids = _Ids(rng)
    users, balances = [], []
    for number in range(user_count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        created_at = until - timedelta(days=rng.randint(31, 720), seconds=rng.randint(0, 86_399))
        user_id = ids.at(created_at)
        users.append(
            documents.user(
                f"{first}.{last}{number}@example.com".lower().replace("ü", "ue"),
                name=f"{first} {last}",
                username=f"{first.lower()}{number}",
                role="ADMIN" if number % 50 == 0 else "USER",
                provider=rng.choice(["local", "local", "google", "openid"]),
                created_at=created_at,
                user_id=user_id,
            )
        )
        if rng.random() < 0.06:
            continue  # no balance document, as for users who signed up with balances off
        refill = {}
        if rng.random() < 0.2:
            refill = {
                "autoRefillEnabled": True,
                "refillIntervalValue": 30,
                "refillIntervalUnit": "days",
                "refillAmount": 10_000,
                "lastRefill": until - timedelta(days=rng.randint(0, 30)),
            }
        balances.append(documents.balance(user_id, _demo_credits(rng), balance_id=ids.at(created_at), **refill))
    if len(balances) > 1:
        # Older LibreChat installs hold duplicate balance documents; the earliest one counts.
        duplicated = balances[1]
        balances.append(documents.balance(duplicated["user"], 5_000, balance_id=ids.at(until)))
    admins = [u["_id"] for u in users if u["role"] == "ADMIN"] or [users[0]["_id"]]
    agents = [
        {
            "_id": ids.at(until - timedelta(days=60)),
            "id": f"agent_{rng.randbytes(8).hex()}",
            "name": name,
            "provider": provider,
            "model": model,
            "author": admins[index % len(admins)],
        }
        for index, (name, provider, model) in enumerate(AGENTS)
    ]
    return DemoDataSet(users, balances, agents, 0)


def _demo_credits(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.07:
        return 0
    if roll < 0.35:
        return rng.randint(1, 1_000_000)
    return rng.randint(1_000_000, 50_000_000)


def build_activity(
    rng: random.Random, people: DemoDataSet, transaction_count: int, days: int, until: datetime
) -> Iterator[tuple[str, dict]]:
    """(collection, document) pairs: conversations, messages and priced transactions over `days`."""
    ids = _Ids(rng)
    active_users = [u["_id"] for u in people.users if rng.random() < 0.8] or [people.users[0]["_id"]]
    models = list(PRICES_PER_MILLION_TOKENS)
    written = agent_conversations = 0
    while written < transaction_count:
        user_id = rng.choice(active_users)
        when = until - timedelta(seconds=rng.randint(0, days * 86_400 - 1))
        if rng.random() < 0.03:
            amount = rng.choice([1_000_000, 5_000_000, 10_000_000])
            yield (
                "transactions",
                documents.credits_transaction(user_id, amount, created_at=when, transaction_id=ids.at(when)),
            )
            written += 1
            continue
        agent = rng.choice(people.agents) if rng.random() < 0.15 else None
        model = agent["id"] if agent else rng.choice(models)
        input_rate, output_rate = PRICES_PER_MILLION_TOKENS[agent["model"] if agent else model]
        conversation_id = f"{rng.randbytes(16).hex()}"
        conversation = {
            "_id": ids.at(when),
            "conversationId": conversation_id,
            "user": str(user_id),
            "title": "Demo conversation",
            "model": model,
            "createdAt": when,
            "updatedAt": when,
        }
        if agent:
            conversation.update(endpoint="agents", agent_id=agent["id"])
            agent_conversations += 1
            if agent_conversations % 2 == 0:
                # Newer LibreChat records the agent's own model; the conversation names the agent.
                model = agent["model"]
        yield ("conversations", conversation)
        for turn in range(rng.randint(1, 3)):
            if written >= transaction_count:
                break
            at = when + timedelta(minutes=turn)
            for is_user in (True, False):
                yield (
                    "messages",
                    {
                        "_id": ids.at(at),
                        "messageId": rng.randbytes(16).hex(),
                        "conversationId": conversation_id,
                        "user": str(user_id),
                        "isCreatedByUser": is_user,
                        "model": model,
                        "createdAt": at,
                    },
                )
            for token_type, tokens, rate in (
                ("prompt", rng.randint(200, 4_000), input_rate),
                ("completion", rng.randint(50, 1_500), output_rate),
            ):
                yield (
                    "transactions",
                    documents.spending_transaction(
                        user_id,
                        token_type=token_type,
                        tokens=tokens,
                        rate=rate,
                        model=model,
                        conversation_id=conversation_id,
                        created_at=at,
                        transaction_id=ids.at(at),
                    ),
                )
                written += 1


# The user the README's examples (commands, API calls) name: LibreChat's default start balance, no activity.
EXAMPLE_USER_EMAIL = "alice@example.com"


def add_example_user(database) -> None:
    """Insert the README's example user unless a user has that email already."""
    if database.users.count_documents({"email": EXAMPLE_USER_EMAIL}, limit=1):
        return
    alice = documents.user(EXAMPLE_USER_EMAIL, name="Alice Example", username="alice")
    database.users.insert_one(alice)
    database.balances.insert_one(documents.balance(alice["_id"], LIBRECHAT_START_BALANCE_CREDITS))


def ensure_librechat_indexes(database) -> None:
    """Create LibreChat's own indexes if missing (creating an existing index is a no-op)."""
    for collection, fields in LIBRECHAT_INDEXES.items():
        for field_name in fields:
            database[collection].create_index(field_name)


def demo_until(day: datetime | None = None) -> datetime:
    """The end of the demo period: midnight UTC of `day` (today by default), so a seed is stable for a day."""
    day = day or datetime.now(UTC)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
