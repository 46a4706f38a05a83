"""Idempotency-Key: the same key and body get the first answer and apply once, also concurrently."""

import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connections

from api.models import IdempotentRequest
from api.testing import migrate_and_create_key, production_env, scratch_directory, start_gunicorn, stop
from api.tests.conftest import ADD_BALANCE, SET_BALANCE, assert_error, issue_key, post_json
from ledger.models import BalanceChange
from librechat.testing import create_user, credit_transactions, credits_of

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
BODY = {"email": "alice@example.com", "amount": 1_000_000}


def add(client, key, body=BODY, idempotency_key="invoice-42"):
    return post_json(client, ADD_BALANCE, body, key, **{"Idempotency-Key": idempotency_key})


def test_a_retry_returns_the_first_answer_and_applies_once(client, write_key, alice):
    first = add(client, write_key)
    again = add(client, write_key)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert credits_of(alice) == 1_020_000 and len(credit_transactions(alice)) == 1
    assert BalanceChange.objects.get().batch.batch_id == first.json()["batchId"]
    assert first.json()["batchId"].startswith("api-") and len(first.json()["batchId"]) == 64


def test_the_same_key_with_another_body_is_a_409(client, write_key, alice):
    add(client, write_key)
    assert_error(add(client, write_key, {**BODY, "amount": 5}), 409, "idempotency_key_reused")
    response = post_json(client, SET_BALANCE, BODY, write_key, **{"Idempotency-Key": "invoice-42"})
    assert_error(response, 409, "idempotency_key_reused")
    assert credits_of(alice) == 1_020_000


def test_other_keys_and_other_api_keys_are_separate(client, write_key, alice):
    add(client, write_key)
    add(client, write_key, idempotency_key="invoice-43")
    add(client, issue_key("shop", ["write"]))
    assert credits_of(alice) == 3_020_000


def test_a_failed_request_is_not_replayed_so_its_retry_runs(client, write_key, mongo):
    assert_error(add(client, write_key), 404, "user_not_found")
    assert IdempotentRequest.objects.get().response_json is None
    alice = create_user("alice@example.com", 0)
    assert add(client, write_key).status_code == 200
    assert credits_of(alice) == 1_000_000


def test_a_key_stays_bound_to_the_body_of_a_refused_request(client, write_key, mongo):
    bad = create_user("bad@example.com", 0)
    mongo.balances.update_one({"user": bad}, {"$set": {"tokenCredits": "lots"}})
    bob = create_user("bob@example.com", 0)
    refused = add(client, write_key, {"email": "bad@example.com", "amount": 4242}, idempotency_key="K")
    assert_error(refused, 409, "change_refused")
    mongo.balances.update_one({"user": bad}, {"$set": {"tokenCredits": 0}})

    other_body = add(client, write_key, {"email": "bob@example.com", "amount": 4242}, idempotency_key="K")

    assert_error(other_body, 409, "idempotency_key_reused")
    assert credits_of(bad) == 0 and credits_of(bob) == 0
    assert credit_transactions(bad) == [] and credit_transactions(bob) == []
    retried = add(client, write_key, {"email": "bad@example.com", "amount": 4242}, idempotency_key="K")
    assert retried.status_code == 200 and credits_of(bad) == 4242 and credits_of(bob) == 0


@pytest.mark.parametrize("value", ["", "x" * 256])
def test_an_empty_or_overlong_key_is_a_400(client, write_key, alice, value):
    assert_error(add(client, write_key, idempotency_key=value), 400, "invalid_request")
    assert credits_of(alice) == 20_000


def test_concurrent_retries_across_workers_apply_once_and_get_the_same_answer(alice):
    """Against gunicorn with two workers: the in-memory test database cannot take concurrent writers."""
    with scratch_directory() as workdir:
        env = production_env(Path(workdir), librechat_test_uri())
        key = migrate_and_create_key(env, "billing", "write")
        server, base_url = start_gunicorn(env, workers=2)
        try:
            with ThreadPoolExecutor(max_workers=6) as pool:
                answers = list(pool.map(lambda _: send(f"{base_url}{ADD_BALANCE}", key), range(6)))
        finally:
            stop(server)
    assert {status for status, _ in answers} == {200}
    assert len({content for _, content in answers}) == 1
    assert credits_of(alice) == 1_020_000 and len(credit_transactions(alice)) == 1


def librechat_test_uri() -> str:
    connection = connections["librechat"]
    return f"{connection.settings_dict['HOST'].rsplit('/', 1)[0]}/{connection.settings_dict['NAME']}"


def send(url: str, key: str) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url,
        json.dumps(BODY).encode(),
        {"Content-Type": "application/json", "x-api-key": key, "Idempotency-Key": "invoice-42"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read()
