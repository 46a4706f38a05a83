"""Every error on /api/ is JSON {"error", "detail"} with the right status, and changes nothing."""

import json

import pytest
from django.test import Client
from pymongo.collection import Collection

from api.tests.conftest import ADD_BALANCE, GET_BALANCE, SET_BALANCE, assert_error, post_json
from ledger.models import BalanceChange
from librechat.testing import credits_of

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


@pytest.mark.parametrize(
    ("path", "body", "detail"),
    [
        (ADD_BALANCE, {"email": "alice@example.com", "amount": 1.5}, "amount: Amount must be a whole number"),
        (ADD_BALANCE, {"email": "alice@example.com", "amount": 5.0}, "JSON integer"),
        (ADD_BALANCE, {"email": "alice@example.com", "amount": "5"}, "JSON integer"),
        (ADD_BALANCE, {"email": "alice@example.com", "amount": True}, "JSON integer"),
        (ADD_BALANCE, {"email": "alice@example.com", "amount": None}, "JSON integer"),
        (ADD_BALANCE, {"email": "alice@example.com", "amount": -5}, "at least 1"),
        (ADD_BALANCE, {"email": "alice@example.com", "amount": 0}, "at least 1"),
        (SET_BALANCE, {"email": "alice@example.com", "amount": -1}, "at least 0"),
        (SET_BALANCE, {"email": "alice@example.com", "amount": 10**12}, "at most 1,000,000,000"),
        (SET_BALANCE, {"email": "alice@example.com", "amount": 10**300}, "at most"),
        (ADD_BALANCE, {"email": "alice@example.com"}, "amount: required"),
        (ADD_BALANCE, {"amount": 5}, "email: required"),
        (ADD_BALANCE, {"email": "", "amount": 5}, "email:"),
        (ADD_BALANCE, {"email": "a" * 400, "amount": 5}, "email:"),
        (ADD_BALANCE, {"email": ["alice@example.com"], "amount": 5}, "email:"),
        (ADD_BALANCE, {"email": "alice@example.com", "amount": 5, "reason": 7}, "reason:"),
        (ADD_BALANCE, {"email": "alice@example.com", "amount": 5, "spec": "gpt-4"}, "spec: unknown field"),
        (ADD_BALANCE, [{"email": "alice@example.com", "amount": 5}], "body"),
        (ADD_BALANCE, "5", "body"),
    ],
)
def test_bad_bodies_are_400s_that_say_what_is_wrong(client, write_key, alice, path, body, detail):
    response = post_json(client, path, body, write_key)
    assert detail in assert_error(response, 400, "invalid_request")["detail"]
    assert credits_of(alice) == 20_000 and not BalanceChange.objects.exists()


@pytest.mark.parametrize("raw", ['{"email": ', '{"email": "a", "amount": NaN}', b"\xff\xfe", "1" * 5000])
def test_malformed_json_is_a_400(client, write_key, alice, raw):
    assert_error(post_json(client, ADD_BALANCE, raw, write_key), 400, "malformed_json")
    assert credits_of(alice) == 20_000


def test_a_body_that_is_not_json_is_a_415(client, write_key, alice):
    response = client.post(
        ADD_BALANCE,
        "email=alice@example.com&amount=5",
        content_type="application/x-www-form-urlencoded",
        headers={"x-api-key": write_key},
    )
    assert "application/json" in assert_error(response, 415, "unsupported_media_type")["detail"]
    assert credits_of(alice) == 20_000


def test_a_body_over_the_limit_is_a_413_before_anything_else(client, settings, alice):
    settings.API_MAX_BODY_BYTES = 100
    response = post_json(client, ADD_BALANCE, {"email": "alice@example.com", "amount": 5, "reason": "x" * 200})
    assert_error(response, 413, "body_too_large")


def test_a_wrong_method_is_a_405_that_names_the_allowed_one(client, write_key):
    response = client.get(ADD_BALANCE, headers={"x-api-key": write_key})
    assert_error(response, 405, "method_not_allowed")
    assert response["Allow"] == "POST"
    assert_error(client.delete(GET_BALANCE), 405, "method_not_allowed")


@pytest.mark.parametrize("path", ["/api/", "/api/nothing-here", "/api/balance/admin/get-balance/", "/api/balance/"])
def test_unknown_paths_are_json_404s(client, path):
    assert_error(client.get(path), 404, "not_found")


def test_an_unknown_host_is_a_json_400(client, write_key):
    response = client.get(
        GET_BALANCE, {"email": "alice@example.com"}, headers={"x-api-key": write_key}, HTTP_HOST="evil.example"
    )
    assert_error(response, 400, "bad_request")


def test_there_is_no_csrf_check_and_no_session_login_on_the_api(admin_user, write_key, alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    assert_error(post_json(browser, ADD_BALANCE, {"email": "alice@example.com", "amount": 5}), 401, "unauthorized")
    assert post_json(browser, ADD_BALANCE, {"email": "alice@example.com", "amount": 5}, write_key).status_code == 200


def test_an_unreachable_mongodb_is_a_503(client, write_key, unreachable_mongo):
    response = client.get(GET_BALANCE, {"email": "alice@example.com"}, headers={"x-api-key": write_key})
    body = assert_error(response, 503, "mongo_unavailable")
    assert "127.0.0.1" not in body["detail"]  # MongoDB's address is for the log, not for clients
    response = post_json(client, ADD_BALANCE, {"email": "alice@example.com", "amount": 5}, write_key)
    assert_error(response, 503, "mongo_unavailable")
    assert not BalanceChange.objects.exists()


def test_an_unexpected_error_is_a_json_500_without_a_traceback(client, write_key, alice, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(Collection, "find_one", broken)
    response = client.get(GET_BALANCE, {"email": "alice@example.com"}, headers={"x-api-key": write_key})
    body = assert_error(response, 500, "server_error")
    assert "boom" not in json.dumps(body) and "Traceback" not in response.content.decode()
    assert "boom" in caplog.text
