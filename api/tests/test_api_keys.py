"""Key lifecycle: created in the admin or by command, hashed, scoped, expiring, revocable, rate-limited."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from api.models import ApiKey, key_sha256
from api.tests.conftest import ADD_BALANCE, GET_BALANCE, assert_error, issue_key, post_json
from librechat.testing import credits_of

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


def get_balance(client, key: str):
    return client.get(GET_BALANCE, {"email": "alice@example.com"}, headers={"x-api-key": key})


def test_only_the_hash_and_a_prefix_are_stored(write_key):
    key = ApiKey.objects.get(name="billing")
    assert write_key.startswith("lcbm_") and len(write_key) > 40
    assert key.prefix == write_key[:13] and key.key_sha256 == key_sha256(write_key)
    assert write_key not in str(ApiKey.objects.values().get())


def test_no_key_and_a_wrong_key_are_401s(client, alice):
    assert_error(client.get(GET_BALANCE, {"email": "alice@example.com"}), 401, "unauthorized")
    assert_error(get_balance(client, "lcbm_not-a-real-key"), 401, "invalid_api_key")
    assert_error(get_balance(client, "something-else"), 401, "invalid_api_key")
    response = client.get(GET_BALANCE, {"email": "alice@example.com"}, headers={"Authorization": "Basic eDp5"})
    assert_error(response, 401, "unauthorized")


def test_a_key_differing_after_its_prefix_is_refused(client, write_key, alice):
    forged = write_key[:13] + "A" * (len(write_key) - 13)
    assert_error(get_balance(client, forged), 401, "invalid_api_key")


def test_a_write_only_key_may_not_read(client, alice):
    assert_error(get_balance(client, issue_key("loader", ["write"])), 403, "insufficient_scope")


def test_an_expired_key_is_a_403(client, alice):
    key = issue_key("old", ["read"], expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(get_balance(client, key), 403, "key_expired")
    soon = issue_key("soon", ["read"], expires_at=timezone.now() + timedelta(days=1))
    assert get_balance(client, soon).status_code == 200


def test_a_revoked_key_is_a_403(client, write_key, alice):
    ApiKey.objects.get(name="billing").revoke()
    assert_error(get_balance(client, write_key), 403, "key_revoked")
    assert_error(
        post_json(client, ADD_BALANCE, {"email": "alice@example.com", "amount": 1}, write_key), 403, "key_revoked"
    )
    assert credits_of(alice) == 20_000


def test_it_records_when_a_key_was_last_used(client, read_key, alice):
    assert ApiKey.objects.get(name="reports").last_used_at is None
    get_balance(client, read_key)
    assert timezone.now() - ApiKey.objects.get(name="reports").last_used_at < timedelta(seconds=5)


def test_over_the_rate_limit_is_a_429_with_retry_after(client, settings, read_key, alice):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    assert [get_balance(client, read_key).status_code for _ in range(2)] == [200, 200]
    response = get_balance(client, read_key)
    assert_error(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert get_balance(client, issue_key("other", ["read"])).status_code == 200  # per key


def test_create_api_key_prints_the_key_once(client, alice):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_key", "nightly", "--scopes", "read,write", "--expires-days", "30", stdout=out, stderr=err)
    raw_key = out.getvalue().strip()
    key = ApiKey.objects.get(name="nightly")
    assert key.scopes == "read,write" and key.key_sha256 == key_sha256(raw_key)
    assert timedelta(days=29) < key.expires_at - timezone.now() <= timedelta(days=30)
    assert "cannot be shown again" in err.getvalue() and key.created_by.endswith("(cli)")
    assert get_balance(client, raw_key).status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["billing", "--scopes", "admin"], "Scopes must be among"),
        (["billing", "--scopes", ","], "Scopes must be among"),
        (["bad name"], "Letters, digits"),
        (["billing", "--expires-days", "0"], "at least 1"),
    ],
)
def test_create_api_key_refuses_bad_input(db, args, message):
    with pytest.raises(CommandError, match=message) as raised:
        call_command("create_api_key", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert raised.value.returncode == 1
    assert not ApiKey.objects.exists()


def test_create_api_key_refuses_a_taken_name(write_key):
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_api_key", "billing", stdout=io.StringIO(), stderr=io.StringIO())


def test_revoke_api_key_stops_the_key(client, read_key, alice):
    out = io.StringIO()
    call_command("revoke_api_key", "reports", stdout=out)
    assert "Revoked API key 'reports'" in out.getvalue()
    assert_error(get_balance(client, read_key), 403, "key_revoked")
    call_command("revoke_api_key", "reports", stdout=out)
    assert "already revoked" in out.getvalue()
    with pytest.raises(CommandError, match="No API key is named"):
        call_command("revoke_api_key", "ghost")
