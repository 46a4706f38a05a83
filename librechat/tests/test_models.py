"""Reading LibreChat's collections as LibreChat writes them, warts and all."""

from datetime import UTC, datetime

import pytest
from bson import ObjectId

from librechat.models import Agent, Balance, LibreChatUser, Transaction
from librechat.testing import create_user

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


def test_it_reads_a_user_without_optional_fields_or_secrets(mongo):
    user_id = ObjectId()
    mongo.users.insert_one({"_id": user_id, "email": "bare@example.com", "password": "$2a$hash", "totpSecret": "x"})
    user = LibreChatUser.objects.get(pk=user_id)
    assert str(user) == "bare@example.com"
    assert user.name is None and user.role is None and user.created_at is None
    assert not hasattr(user, "password")


def test_it_lists_a_user_without_a_balance_document(mongo):
    user_id = create_user("nobalance@example.com")
    assert LibreChatUser.objects.filter(pk=user_id).exists()
    assert not Balance.objects.filter(user_id=user_id).exists()


def test_it_reads_duplicate_balance_documents_earliest_first(mongo):
    user_id = create_user("dup@example.com", 100)
    mongo.balances.insert_one({"user": user_id, "tokenCredits": 5})
    credits = list(Balance.objects.filter(user_id=user_id).order_by("id").values_list("token_credits", flat=True))
    assert credits == [100, 5]


def test_a_balance_whose_user_was_deleted_still_lists(mongo):
    mongo.balances.insert_one({"user": ObjectId(), "tokenCredits": 42})
    balances = list(Balance.objects.select_related("user"))
    assert len(balances) == 1
    assert balances[0].user is None


def test_a_refill_save_keeps_unknown_fields_and_credits(mongo):
    user_id = create_user("keep@example.com", 1000, reservations=[{"id": "r1", "amount": 10}], reservedCredits=10)
    balance = Balance.objects.get(user_id=user_id)
    mongo.balances.update_one({"user": user_id}, {"$inc": {"tokenCredits": -300}})  # LibreChat spends meanwhile
    balance.auto_refill_enabled = True
    balance.refill_amount = 5000
    balance.save(update_fields=["auto_refill_enabled", "refill_amount"])
    stored = mongo.balances.find_one({"user": user_id})
    assert stored["tokenCredits"] == 700
    assert stored["reservations"] == [{"id": "r1", "amount": 10}]
    assert stored["reservedCredits"] == 10
    assert stored["autoRefillEnabled"] is True and stored["refillAmount"] == 5000


def test_it_reads_transactions_and_their_usd_cost(mongo):
    user_id = create_user("spender@example.com", 0)
    mongo.transactions.insert_one(
        {
            "user": user_id,
            "conversationId": "c1",
            "model": "gpt-4o",
            "context": "message",
            "tokenType": "completion",
            "rawAmount": -1000,
            "rate": 10.0,
            "tokenValue": -10000,
            "inputTokens": 5,
            "createdAt": datetime(2026, 1, 1, tzinfo=UTC),
            "unknownFutureField": True,
        }
    )
    row = Transaction.objects.get(user_id=user_id)
    assert row.token_value == -10000
    assert row.usd == "-$0.01"
    assert row.input_tokens == 5 and row.read_tokens is None


def test_it_reads_agents_by_their_string_id(mongo):
    author = create_user("author@example.com")
    mongo.agents.insert_one(
        {"id": "agent_abc123", "name": "Helper", "provider": "openAI", "model": "gpt-4o", "author": author}
    )
    agent = Agent.objects.get(agent_id="agent_abc123")
    assert str(agent) == "Helper (gpt-4o)"
    assert agent.author_id == author


def test_balance_shows_usd_and_refill_summary(mongo):
    user_id = create_user(
        "refill@example.com",
        2_500_000,
        autoRefillEnabled=True,
        refillIntervalValue=30,
        refillIntervalUnit="days",
        refillAmount=10000,
    )
    balance = Balance.objects.get(user_id=user_id)
    assert balance.usd == "$2.50"
    assert balance.refill_summary == "+10,000 every 30 days"
