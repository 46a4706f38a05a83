"""POST /api/balance/admin/set-balance: a compare-and-set plus a transaction for the difference."""

import pytest

from api.tests.conftest import SET_BALANCE, assert_error, post_json
from ledger.models import BalanceChange
from librechat.testing import create_user, credit_transactions, credits_of

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


def test_it_sets_and_answers_with_the_prs_shape(client, write_key, alice):
    response = post_json(client, SET_BALANCE, {"email": "alice@example.com", "amount": 1000}, write_key)
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Balance set successfully to 1000 for user alice@example.com"
    assert (body["email"], body["balance"], body["delta"]) == ("alice@example.com", 1000, -19_000)
    assert credits_of(alice) == 1000
    assert credit_transactions(alice)[0]["tokenValue"] == -19_000
    change = BalanceChange.objects.get()
    assert (change.batch.kind, change.batch.source, change.batch.actor) == ("set", "api", "api:billing")


def test_setting_to_zero_is_allowed(client, write_key, alice):
    assert post_json(client, SET_BALANCE, {"email": "alice@example.com", "amount": 0}, write_key).status_code == 200
    assert credits_of(alice) == 0


def test_setting_to_the_same_value_writes_no_transaction(client, write_key, alice):
    body = post_json(client, SET_BALANCE, {"email": "alice@example.com", "amount": 20_000}, write_key).json()
    assert body["delta"] == 0 and body["transactionId"] is None
    assert credit_transactions(alice) == []


def test_it_creates_a_missing_balance_document(client, write_key, mongo):
    bob = create_user("bob@example.com")
    body = post_json(client, SET_BALANCE, {"email": "bob@example.com", "amount": 300}, write_key).json()
    assert (body["balance"], body["delta"]) == (300, 300)
    assert credits_of(bob) == 300


def test_an_unknown_email_is_a_404(client, write_key, mongo):
    response = post_json(client, SET_BALANCE, {"email": "ghost@example.com", "amount": 1}, write_key)
    assert assert_error(response, 404, "user_not_found")["detail"] == "No user with that email was found!"
    assert not BalanceChange.objects.exists()
