"""The user's credit policy in get-balance and the users list, after LibreChat PR #11754's fields, and its filter."""

import pytest

from api.tests.conftest import GET_BALANCE, USERS, assert_error, issue_key
from librechat.testing import create_user
from policies.tests.helpers import make_policy

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


@pytest.fixture
def people(mongo):
    """Alice is named by both policies and belongs to the first by priority; root by none."""
    make_policy("Users", priority=20, roles="USER")
    make_policy("Students", priority=10, roles="", email_domains="uni.edu")
    return [
        create_user("alice@uni.edu", 3_000_000),
        create_user("bob@example.com", 2_000_000),
        create_user("root@example.com", 1_000_000, role="ADMIN"),
    ]


def get(client, key, path, **params):
    return client.get(path, params, headers={"x-api-key": key})


def test_get_balance_names_the_users_policy_after_the_prs_fields(client, read_key, people):
    emails = ["alice@uni.edu", "root@example.com"]
    answers = {email: get(client, read_key, GET_BALANCE, email=email) for email in emails}
    assert all(response.status_code == 200 for response in answers.values())
    alice = answers["alice@uni.edu"].json()
    assert list(alice)[:2] == ["email", "balance"] and list(alice)[-1] == "policy"
    assert (alice["balance"], alice["policy"]) == (3_000_000, "Students")
    assert answers["root@example.com"].json()["policy"] is None


def test_the_users_list_names_each_users_policy(client, read_key, people):
    response = get(client, read_key, USERS)
    assert response.status_code == 200
    assert {user["email"]: user["policy"] for user in response.json()["users"]} == {
        "alice@uni.edu": "Students",
        "bob@example.com": "Users",
        "root@example.com": None,
    }


@pytest.mark.parametrize(
    ("policy", "expected"),
    [("Students", ["alice@uni.edu"]), ("Users", ["bob@example.com"]), ("none", ["root@example.com"])],
)
def test_the_users_list_filters_by_policy_as_its_field_says(client, read_key, people, policy, expected):
    response = get(client, read_key, USERS, policy=policy, limit=1)
    assert response.status_code == 200
    body = response.json()
    assert [user["email"] for user in body["users"]] == expected
    assert {user["policy"] for user in body["users"]} == {None if policy == "none" else policy}
    assert body["nextCursor"] is not None  # a full page; the next one is empty
    next_page = get(client, read_key, USERS, policy=policy, limit=1, cursor=body["nextCursor"]).json()
    assert next_page == {"users": [], "nextCursor": None}


def test_an_unknown_or_paused_policy_is_refused_with_a_reason(client, read_key, people):
    make_policy("Paused", roles="ADMIN", active=False)
    for name in ["Paused", "No such policy"]:
        body = assert_error(get(client, read_key, USERS, policy=name), 400, "unknown_policy")
        assert repr(name) in body["detail"]


def test_a_tenant_limited_key_filtered_by_policy_lists_only_its_tenants_members(client, mongo):
    make_policy("Users", priority=20, roles="USER")
    create_user("ann@acme.example", 1_000, tenant_id="acme")
    create_user("gus@globex.example", 2_000, tenant_id="globex")
    acme_key = issue_key("acme-reports", ["read"], tenants="acme")
    response = get(client, acme_key, USERS, policy="Users")
    assert response.status_code == 200
    assert [(user["email"], user["policy"]) for user in response.json()["users"]] == [("ann@acme.example", "Users")]
