"""GET /api/balance/admin/get-balance: LibreChat PR #11754's shape, plus usd and refill settings."""

from datetime import UTC, datetime, timedelta

import pytest

from api.tests.conftest import GET_BALANCE, assert_error
from librechat import documents
from librechat.mongo import librechat_db
from librechat.testing import create_user

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


def test_it_answers_with_the_prs_fields_first(client, read_key, alice):
    response = client.get(GET_BALANCE, {"email": "alice@example.com"}, headers={"x-api-key": read_key})
    assert response.status_code == 200
    assert response.json() == {
        "email": "alice@example.com",
        "balance": 20_000,
        "hasBalanceRecord": True,
        "usd": "0.02",
        "autoRefill": {
            "enabled": False,
            "refillIntervalValue": None,
            "refillIntervalUnit": None,
            "refillAmount": None,
            "lastRefill": None,
            "nextRefill": None,
        },
        "available": 20_000,
        "held": 0,
        "policy": None,
    }


def test_it_matches_the_email_ignoring_case_and_accepts_a_bearer_key(client, read_key, alice):
    response = client.get(GET_BALANCE, {"email": "ALICE@Example.com"}, headers={"Authorization": f"Bearer {read_key}"})
    assert response.status_code == 200
    assert response.json()["email"] == "alice@example.com"


def test_it_shows_refill_settings_and_fractional_credits(client, read_key, mongo):
    last_refill = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    create_user(
        "carol@example.com",
        1_234_567.5,
        autoRefillEnabled=True,
        refillIntervalValue=30,
        refillIntervalUnit="days",
        refillAmount=10_000,
        lastRefill=last_refill,
    )
    body = client.get(GET_BALANCE, {"email": "carol@example.com"}, headers={"x-api-key": read_key}).json()
    assert body["balance"] == 1_234_567.5 and body["usd"] == "1.23"
    assert body["autoRefill"]["enabled"] is True
    assert body["autoRefill"]["refillIntervalUnit"] == "days" and body["autoRefill"]["refillAmount"] == 10_000
    assert body["autoRefill"]["lastRefill"].startswith("2026-11-01T12:00:00")
    assert body["autoRefill"]["nextRefill"].startswith("2026-12-01T12:00:00")


def test_the_next_refill_is_computed_as_librechat_does_with_months_overflowing(client, read_key, mongo):
    # JavaScript's setMonth: January 31 plus one month is March 3 (2027 is no leap year).
    create_user(
        "dora@example.com",
        0,
        autoRefillEnabled=True,
        refillIntervalValue=1,
        refillIntervalUnit="months",
        refillAmount=5,
        lastRefill=datetime(2027, 1, 31, 8, 0, tzinfo=UTC),
    )
    body = client.get(GET_BALANCE, {"email": "dora@example.com"}, headers={"x-api-key": read_key}).json()
    assert body["autoRefill"]["nextRefill"].startswith("2027-03-03T08:00:00")


def test_a_missing_last_refill_makes_the_refill_due_now(client, read_key, mongo):
    create_user("eve@example.com", 0, autoRefillEnabled=True, refillIntervalValue=1, refillAmount=5)
    before = datetime.now(UTC)
    body = client.get(GET_BALANCE, {"email": "eve@example.com"}, headers={"x-api-key": read_key}).json()
    assert body["autoRefill"]["lastRefill"] is None
    assert datetime.fromisoformat(body["autoRefill"]["nextRefill"].replace("Z", "+00:00")) >= before


def test_it_shows_available_and_held_credits_counting_only_unexpired_holds(client, read_key, mongo):
    now = datetime.now(UTC)
    reservations = [
        {"id": "in-flight", "amount": 3_000, "expiresAt": now + timedelta(minutes=5)},
        {"id": "crashed", "amount": 9_000, "expiresAt": now - timedelta(minutes=5)},
    ]
    create_user("fay@example.com", 10_000, reservations=reservations, reservedCredits=12_000)
    body = client.get(GET_BALANCE, {"email": "fay@example.com"}, headers={"x-api-key": read_key}).json()
    assert (body["balance"], body["available"], body["held"]) == (10_000, 7_000, 3_000)


def test_a_user_without_a_balance_document_has_zero_and_says_so(client, read_key, mongo):
    create_user("bob@example.com")
    response = client.get(GET_BALANCE, {"email": "bob@example.com"}, headers={"x-api-key": read_key})
    assert response.status_code == 200
    assert response.json()["balance"] == 0 and response.json()["hasBalanceRecord"] is False
    assert librechat_db().balances.count_documents({}) == 0


def test_it_reads_the_earliest_of_duplicate_balance_documents(client, read_key, mongo):
    user_id = create_user("dave@example.com", 500)
    librechat_db().balances.insert_one(documents.balance(user_id, 999_999))
    body = client.get(GET_BALANCE, {"email": "dave@example.com"}, headers={"x-api-key": read_key}).json()
    assert body["balance"] == 500


def test_an_unknown_email_is_a_404_with_the_prs_words(client, read_key, mongo):
    response = client.get(GET_BALANCE, {"email": "ghost@example.com"}, headers={"x-api-key": read_key})
    assert assert_error(response, 404, "user_not_found")["detail"] == "No user with that email was found!"


def test_a_missing_email_is_a_400(client, read_key, mongo):
    body = assert_error(client.get(GET_BALANCE, headers={"x-api-key": read_key}), 400, "invalid_request")
    assert body["detail"] == "email: required"


def test_a_balance_that_is_not_a_number_is_a_409(client, read_key, mongo):
    create_user("eve@example.com", "lots")
    response = client.get(GET_BALANCE, {"email": "eve@example.com"}, headers={"x-api-key": read_key})
    assert_error(response, 409, "invalid_balance_document")


def test_two_users_with_the_same_email_are_a_409(client, read_key, mongo):
    create_user("twin@example.com", 1)
    create_user("twin@example.com", 2)
    response = client.get(GET_BALANCE, {"email": "twin@example.com"}, headers={"x-api-key": read_key})
    assert_error(response, 409, "ambiguous_email")


def test_it_finds_a_user_whose_stored_email_has_capitals(client, read_key, mongo):
    # LibreChat lowercases new emails; older installs and hand-made users hold mixed-case ones.
    create_user("Dora@Example.COM", 7)
    for asked in ("dora@example.com", "DORA@example.com"):
        response = client.get(GET_BALANCE, {"email": asked}, headers={"x-api-key": read_key})
        assert response.status_code == 200 and response.json()["balance"] == 7


def test_an_email_with_regular_expression_characters_is_matched_literally(client, read_key, mongo):
    mongo.users.insert_one({"email": "Eve+(Test)@Example.com", "name": "Eve"})  # mixed case: the pattern path
    create_user("dora@example.com", 7)
    found = client.get(GET_BALANCE, {"email": "eve+(test)@example.com"}, headers={"x-api-key": read_key})
    assert found.status_code == 200 and found.json()["hasBalanceRecord"] is False
    for asked in ("(", ".*@example.com", "eve+.test.@example.com"):
        response = client.get(GET_BALANCE, {"email": asked}, headers={"x-api-key": read_key})
        assert response.status_code == 404, (asked, response.content)
