"""The analytics JSON endpoints: the dashboard's paths and parameters, a read-scope key, 400s with a reason."""

import math
from datetime import timedelta

import pytest
from bson import Decimal128
from django.utils import timezone

from analytics.testing import spend
from api.errors import json_loads_strict
from api.tests.conftest import assert_error, issue_key
from librechat.testing import create_user

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
ENDPOINTS = ["summary", "top-users", "top-models", "top-agents", "cost-breakdown", "usage-over-time"]


@pytest.fixture
def read_key(db) -> str:
    return issue_key("dashboard", ["read"])


@pytest.fixture
def usage(mongo):
    alice = create_user("alice@example.com", 5_000_000)
    spend(alice, timezone.now() - timedelta(hours=2), tokens=1_000_000, rate=2.5)  # $2.50 of prompt tokens
    return alice


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_each_endpoint_answers_json_for_a_read_key(client, read_key, usage, endpoint):
    response = client.get(f"/api/{endpoint}", {"period": "24h"}, headers={"x-api-key": read_key})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")


def test_the_summary_counts_the_spend_from_the_rollups(client, read_key, usage):
    body = client.get("/api/summary", {"period": "7d"}, headers={"x-api-key": read_key}).json()
    assert body["totalCost"] == 2.5 and body["activeUsers"] == 1 and body["period"]["name"] == "7d"


def test_top_users_takes_a_limit(client, read_key, usage):
    body = client.get("/api/top-users", {"limit": "1"}, headers={"x-api-key": read_key}).json()
    assert [row["email"] for row in body] == ["alice@example.com"]


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"period": "1y"}, "period"),
        ({"period": "custom"}, "start"),
        ({"period": "custom", "start": "2026-13-01", "end": "2026-12-01"}, "start"),
        ({"period": "custom", "start": "2026-11-02", "end": "2026-11-01"}, ""),
    ],
)
def test_a_bad_period_is_a_400_that_says_why(client, read_key, usage, params, detail):
    body = assert_error(client.get("/api/summary", params, headers={"x-api-key": read_key}), 400, "bad_request")
    assert detail in body["detail"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_date_beyond_the_calendar_in_utc_is_a_400_naming_the_parameter(client, read_key, usage, endpoint):
    params = {"period": "custom", "start": "0001-01-01T00:00:00+14:00", "end": "9999-12-31T23:00:00-05:00"}
    body = assert_error(client.get(f"/api/{endpoint}", params, headers={"x-api-key": read_key}), 400, "bad_request")
    assert body["detail"].startswith("start must lie between the years")


@pytest.mark.parametrize("limit", ["0", "101", "ten", "1.5"])
def test_a_bad_limit_is_a_400(client, read_key, usage, limit):
    assert_error(client.get("/api/top-users", {"limit": limit}, headers={"x-api-key": read_key}), 400, "bad_request")


def test_a_missing_key_is_a_401_and_a_key_without_read_scope_a_403(client, usage):
    assert_error(client.get("/api/summary"), 401, "unauthorized")
    write_only = issue_key("writer", ["write"])
    assert_error(client.get("/api/summary", headers={"x-api-key": write_only}), 403, "insufficient_scope")


def test_the_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {f"/api/{endpoint}" for endpoint in ENDPOINTS} <= set(paths)


@pytest.mark.parametrize(
    ("stored", "shown"),
    [("lots", "lots"), (float("nan"), None), (float("inf"), None), (Decimal128("NaN"), None), (Decimal128("7.5"), 7.5)],
)
def test_top_users_answer_json_for_a_balance_that_is_not_a_number(client, read_key, mongo, stored, shown):
    carol = create_user("carol@example.com", stored)
    spend(carol, timezone.now() - timedelta(hours=2))
    response = client.get("/api/top-users", {"period": "24h"}, headers={"x-api-key": read_key})
    assert response.status_code == 200, response.content
    [row] = json_loads_strict(response.content)  # refuses NaN and Infinity
    assert (row["email"], row["balance"]) == ("carol@example.com", shown)


def test_the_summary_counts_transactions_whose_amounts_are_not_numbers(client, read_key, usage):
    when = timezone.now() - timedelta(hours=2)
    spend(usage, when, rawAmount="-12", tokenValue="-30")  # a string made $abs fail every refresh
    spend(usage, when, rawAmount=math.nan, tokenValue=math.nan)
    response = client.get("/api/summary", {"period": "24h"}, headers={"x-api-key": read_key})
    assert response.status_code == 200
    assert (response.json()["totalCost"], response.json()["invalidTransactions"]) == (2.5, 2)
    assert response["X-Usage-Covered-Until"] and "X-Usage-Stale" not in response


def test_it_says_when_its_numbers_are_stale(client, read_key, mongo, settings):
    settings.USAGE_PAGE_REFRESH_SECONDS = 0
    alice = create_user("alice@example.com", 0)
    spend(alice, timezone.now() - timedelta(days=5))
    response = client.get("/api/top-users", headers={"x-api-key": read_key})
    assert response.status_code == 200
    assert "catching up" in response["X-Usage-Stale"]
