"""API keys limited to some tenants: another tenant's user is answered exactly like an unknown one."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from analytics.testing import spend
from api.models import ApiKey
from api.tests.conftest import ADD_BALANCE, GET_BALANCE, SET_BALANCE, USERS, assert_error, issue_key, post_json
from librechat.testing import create_user, credit_transactions, credits_of

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


@pytest.fixture
def people(mongo):
    return {
        "ann": create_user("ann@acme.example", 1_000, tenant_id="acme"),
        "gus": create_user("gus@globex.example", 2_000, tenant_id="globex"),
        "lone": create_user("lone@example.com", 3_000),
        # The same address in both tenants: for an acme key, only acme's user exists.
        "twin_acme": create_user("twin@example.com", 4_000, tenant_id="acme"),
        "twin_globex": create_user("twin@example.com", 5_000, tenant_id="globex"),
    }


@pytest.fixture
def acme_key(db) -> str:
    return issue_key("acme-billing", ["read", "write"], tenants="acme")


def get(client, key: str, email: str):
    return client.get(GET_BALANCE, {"email": email}, headers={"x-api-key": key})


def test_it_reads_its_own_tenants_user(client, acme_key, people):
    response = get(client, acme_key, "ann@acme.example")
    assert response.status_code == 200
    assert response.json()["balance"] == 1_000


def test_another_tenants_user_is_an_unknown_user(client, acme_key, people):
    unknown = assert_error(get(client, acme_key, "nobody@example.com"), 404, "user_not_found")
    assert assert_error(get(client, acme_key, "gus@globex.example"), 404, "user_not_found") == unknown
    assert assert_error(get(client, acme_key, "lone@example.com"), 404, "user_not_found") == unknown


def test_an_email_in_two_tenants_is_not_ambiguous_for_a_limited_key(client, acme_key, people):
    response = get(client, acme_key, "twin@example.com")
    assert response.status_code == 200
    assert response.json()["balance"] == 4_000


def test_the_list_holds_only_its_tenants_users(client, acme_key, people):
    response = client.get(USERS, headers={"x-api-key": acme_key})
    assert response.status_code == 200
    assert sorted(user["email"] for user in response.json()["users"]) == ["ann@acme.example", "twin@example.com"]
    assert {user["balance"] for user in response.json()["users"]} == {1_000, 4_000}


def test_it_adds_and_sets_for_its_own_tenants_users(client, acme_key, people):
    added = post_json(client, ADD_BALANCE, {"email": "ann@acme.example", "amount": 500}, acme_key)
    assert added.status_code == 200
    assert credits_of(people["ann"]) == 1_500
    changed = post_json(client, SET_BALANCE, {"email": "twin@example.com", "amount": 100}, acme_key)
    assert changed.status_code == 200
    assert (credits_of(people["twin_acme"]), credits_of(people["twin_globex"])) == (100, 5_000)


def test_it_never_changes_another_tenants_user(client, acme_key, people):
    for path in (ADD_BALANCE, SET_BALANCE):
        for email in ("gus@globex.example", "lone@example.com"):
            assert_error(post_json(client, path, {"email": email, "amount": 7}, acme_key), 404, "user_not_found")
    assert (credits_of(people["gus"]), credits_of(people["lone"])) == (2_000, 3_000)
    assert credit_transactions(people["gus"]) == credit_transactions(people["lone"]) == []


def test_usage_analytics_count_only_its_tenants_usage(client, acme_key, people):
    when = timezone.now() - timedelta(hours=2)
    spend(people["ann"], when, tokens=1000, rate=1.0)
    spend(people["gus"], when, tokens=4000, rate=1.0)
    summary = client.get("/api/summary", {"period": "24h"}, headers={"x-api-key": acme_key})
    assert summary.status_code == 200
    assert summary.json()["totalCost"] == 0.001
    top = client.get("/api/top-users", {"period": "24h"}, headers={"x-api-key": acme_key}).json()
    assert [row["email"] for row in top] == ["ann@acme.example"]


def test_an_unlimited_key_still_sees_every_user(client, write_key, people):
    response = client.get(USERS, headers={"x-api-key": write_key})
    assert len(response.json()["users"]) == 5


def test_the_admin_saves_the_keys_tenants_normalized(admin_client, db):
    admin_client.post(
        "/admin/api/apikey/add/", {"name": "acme", "scopes": ["read"], "tenants": " globex, acme ,,", "expires_at": ""}
    )
    assert ApiKey.objects.get(name="acme").tenants == "acme,globex"


def test_create_api_key_takes_the_keys_tenants(db):
    call_command("create_api_key", "acme-cli", "--tenants", "globex, acme", stdout=io.StringIO(), stderr=io.StringIO())
    assert ApiKey.objects.get(name="acme-cli").tenant_scope == frozenset({"acme", "globex"})
