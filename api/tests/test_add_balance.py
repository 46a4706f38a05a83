"""POST /api/balance/admin/add-balance: through the ledger, audited with the key's name."""

import pytest
from bson import Decimal128

from api.tests.conftest import ADD_BALANCE, assert_error, post_json
from ledger.models import BalanceChange
from librechat.testing import create_user, credit_transactions, credits_of

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


def test_it_adds_and_answers_with_the_prs_shape(client, write_key, alice):
    response = post_json(client, ADD_BALANCE, {"email": "alice@example.com", "amount": 9}, write_key)
    assert response.status_code == 200
    assert b'"balance": 20009,' in response.content and b'"delta": 9,' in response.content  # integers, not 9.0
    body = response.json()
    assert body["message"] == "9 added successfully for user alice@example.com"
    assert body["email"] == "alice@example.com" and body["balance"] == 20_009
    assert body["delta"] == 9 and body["usd"] == "0.02" and body["hasBalanceRecord"] is True
    assert credits_of(alice) == 20_009
    [transaction] = credit_transactions(alice)
    assert str(transaction["_id"]) == body["transactionId"]
    assert transaction["context"] == "admin" and transaction["rawAmount"] == 9


def test_it_audits_the_change_with_source_api_and_the_keys_name(client, write_key, alice):
    body = post_json(
        client, ADD_BALANCE, {"email": "Alice@Example.com", "amount": 500, "reason": "invoice 7"}, write_key
    ).json()
    change = BalanceChange.objects.get()
    assert change.batch.source == "api" and change.batch.actor == "api:billing"
    assert change.batch.reason == "invoice 7" and change.batch.batch_id == body["batchId"]
    assert (change.before_credits, change.delta_credits, change.after_credits) == (20_000, 500, 20_500)
    assert change.status == "applied"


def test_without_an_idempotency_key_each_request_applies(client, write_key, alice):
    first = post_json(client, ADD_BALANCE, {"email": "alice@example.com", "amount": 1}, write_key).json()
    second = post_json(client, ADD_BALANCE, {"email": "alice@example.com", "amount": 1}, write_key).json()
    assert first["batchId"] != second["batchId"]
    assert credits_of(alice) == 20_002


def test_it_creates_a_missing_balance_document(client, write_key, mongo):
    bob = create_user("bob@example.com")
    body = post_json(client, ADD_BALANCE, {"email": "bob@example.com", "amount": 7}, write_key).json()
    assert body["balance"] == 7 and body["hasBalanceRecord"] is True
    assert credits_of(bob) == 7


def test_an_unknown_email_is_a_404_and_changes_nothing(client, write_key, mongo):
    response = post_json(client, ADD_BALANCE, {"email": "ghost@example.com", "amount": 7}, write_key)
    assert_error(response, 404, "user_not_found")
    assert not BalanceChange.objects.exists()


def test_a_reason_with_a_nul_character_is_a_400_and_changes_nothing(client, write_key, alice):
    body = {"email": "alice@example.com", "amount": 7, "reason": "a\x00b"}
    response = post_json(client, ADD_BALANCE, body, write_key)
    assert response.status_code == 400 and "reason" in response.json()["detail"]
    assert credits_of(alice) == 20_000
    assert not BalanceChange.objects.exists()


def test_a_read_only_key_may_not_add(client, read_key, alice):
    response = post_json(client, ADD_BALANCE, {"email": "alice@example.com", "amount": 7}, read_key)
    assert_error(response, 403, "insufficient_scope")
    assert credits_of(alice) == 20_000


def test_a_refused_change_is_a_409(client, write_key, mongo):
    mallory = create_user("mallory@example.com", "lots")
    response = post_json(client, ADD_BALANCE, {"email": "mallory@example.com", "amount": 7}, write_key)
    assert "tokenCredits is not a number" in assert_error(response, 409, "change_refused")["detail"]
    assert credits_of(mallory) == "lots"
    assert not credit_transactions(mallory)


def test_a_decimal128_balance_is_added_to_and_answered_as_a_number(client, write_key, mongo):
    dora = create_user("dora@example.com", Decimal128("1500000"))
    response = post_json(client, ADD_BALANCE, {"email": "dora@example.com", "amount": 4242}, write_key)
    assert response.status_code == 200, response.content
    assert response.json()["balance"] == 1_504_242 and response.json()["delta"] == 4242
    assert credits_of(dora) == Decimal128("1504242")
    assert len(credit_transactions(dora)) == 1
