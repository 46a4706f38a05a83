"""GET /api/balance/admin/users: every balance, paged by an opaque cursor that survives writes."""

import pytest

from api.tests.conftest import USERS, assert_error, issue_key
from librechat import documents
from librechat.mongo import librechat_db
from librechat.testing import create_user

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


def page(client, key, **params):
    response = client.get(USERS, params, headers={"x-api-key": key})
    assert response.status_code == 200, response.content
    return response.json()


def all_pages(client, key, **params) -> list[dict]:
    users = []
    while True:
        body = page(client, key, **params)
        users += body["users"]
        params["cursor"] = body["nextCursor"]
        if params["cursor"] is None:
            return users


@pytest.fixture
def five_users(mongo):
    return [create_user(f"user{i}@example.com", i * 1_000_000) for i in range(5)]


def test_it_pages_through_every_balance_once(client, read_key, five_users):
    first = page(client, read_key, limit=2)
    assert [user["email"] for user in first["users"]] == ["user0@example.com", "user1@example.com"]
    assert first["users"][1] == {
        "userId": str(five_users[1]),
        "email": "user1@example.com",
        "balance": 1_000_000,
        "usd": "1.00",
        "autoRefill": {
            "enabled": False,
            "refillIntervalValue": None,
            "refillIntervalUnit": None,
            "refillAmount": None,
            "lastRefill": None,
            "nextRefill": None,
        },
        "available": 1_000_000,
        "held": 0,
        "policy": None,
    }
    emails = [user["email"] for user in all_pages(client, read_key, limit=2)]
    assert emails == [f"user{i}@example.com" for i in range(5)]


def test_pages_stay_stable_while_balances_change(client, read_key, five_users):
    first = page(client, read_key, limit=2)
    librechat_db().balances.update_many({}, {"$inc": {"tokenCredits": 7}})
    create_user("late@example.com", 1)
    rest = all_pages(client, read_key, limit=2, cursor=first["nextCursor"])
    assert [user["email"] for user in rest] == [f"user{i}@example.com" for i in (2, 3, 4)] + ["late@example.com"]


def test_below_keeps_balances_under_the_amount(client, read_key, five_users):
    users = all_pages(client, read_key, below="2,000,000")
    assert [user["email"] for user in users] == ["user0@example.com", "user1@example.com"]


def test_each_user_is_listed_once_with_the_earliest_document(client, read_key, five_users):
    librechat_db().balances.insert_one(documents.balance(five_users[4], 1))
    users = all_pages(client, read_key, limit=2)
    assert [user["balance"] for user in users if user["email"] == "user4@example.com"] == [4_000_000]
    assert all_pages(client, read_key, below=2)[0]["email"] == "user0@example.com"  # not user4's duplicate
    assert len(all_pages(client, read_key, below=2)) == 1


def test_orphans_and_odd_documents_still_list(client, read_key, mongo):
    orphan = documents.balance(documents.user("gone@example.com")["_id"], 5)
    librechat_db().balances.insert_one(orphan)
    create_user("odd@example.com", float("nan"))
    users = all_pages(client, read_key)
    assert [(user["email"], user["balance"], user["usd"]) for user in users] == [
        (None, 5, "0.00"),
        ("odd@example.com", None, None),
    ]


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"limit": 0}, "limit:"),
        ({"limit": 1001}, "limit:"),
        ({"limit": "ten"}, "limit:"),
        ({"below": "-1"}, "below:"),
        ({"below": "1.5"}, "below:"),
        ({"below": str(10**12)}, "below:"),
    ],
)
def test_bad_parameters_are_400s(client, read_key, mongo, params, detail):
    response = client.get(USERS, params, headers={"x-api-key": read_key})
    assert detail in assert_error(response, 400, "invalid_request")["detail"]


@pytest.mark.parametrize(
    ("cursor", "code"),
    [("not a cursor", "invalid_cursor"), ("AAAA", "invalid_cursor"), ("x" * 65, "invalid_request")],
)
def test_a_cursor_not_given_by_the_api_is_a_400(client, read_key, mongo, cursor, code):
    response = client.get(USERS, {"cursor": cursor}, headers={"x-api-key": read_key})
    assert_error(response, 400, code)


def test_a_write_only_key_may_not_list(client, mongo):
    response = client.get(USERS, headers={"x-api-key": issue_key("loader", ["write"])})
    assert_error(response, 403, "insufficient_scope")
