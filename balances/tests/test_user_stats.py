import io
import json
import os
from datetime import UTC, datetime

import pytest
from bson import ObjectId
from django.core.management import CommandError, call_command

from librechat import documents
from librechat.testing import create_user

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
OLD = datetime(2026, 1, 1, tzinfo=UTC)
NEW = datetime(2026, 6, 1, tzinfo=UTC)


def id_at(when: datetime) -> ObjectId:
    return ObjectId(ObjectId.from_datetime(when).binary[:4] + os.urandom(8))


def stats(*args) -> list[dict]:
    out = io.StringIO()
    call_command("user_stats", "--format", "json", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def alice(mongo):
    alice = create_user("alice@example.com", 0)
    create_user("bob@example.com")
    for when in (OLD, NEW):
        mongo.conversations.insert_one({"_id": id_at(when), "user": str(alice), "conversationId": "c"})
        for _ in range(2):
            mongo.messages.insert_one({"_id": id_at(when), "user": str(alice)})
        mongo.transactions.insert_one(
            documents.spending_transaction(
                alice,
                token_type="completion",
                tokens=1000,
                rate=10.0,
                model="gpt-4o",
                conversation_id="c",
                created_at=when,
                transaction_id=id_at(when),
            )
        )
    return alice


def test_it_counts_per_user_with_string_user_ids(alice):
    rows = stats()
    assert rows[0] == {
        "email": "alice@example.com",
        "name": "Alice",
        "conversations": 2,
        "messages": 4,
        "tokens": 2000,
        "cost_usd": "0.02",
        "invalid_transactions": 0,
    }
    assert rows[1]["email"] == "bob@example.com" and rows[1]["conversations"] == 0


def test_since_limits_to_recent_activity(alice):
    assert stats("--since", "2026-03-01")[0]["messages"] == 2


def test_a_bad_date_exits_1(alice):
    with pytest.raises(CommandError, match="--since must be a date") as raised:
        stats("--since", "last tuesday")
    assert raised.value.returncode == 1


@pytest.mark.parametrize("since", ["9999-12-31", "1969-12-31", "0001-01-01"])
def test_a_date_outside_what_objectids_hold_is_refused(mongo, since):
    with pytest.raises(CommandError, match="between 1970-01-01 and 2100-12-31") as raised:
        call_command("user_stats", "--since", since, stdout=io.StringIO())
    assert raised.value.returncode == 1
