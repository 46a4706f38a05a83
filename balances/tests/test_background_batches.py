"""Large admin batches run in the worker; the batch page shows progress; interrupted ones resume."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from balances.tests.test_admin_actions import USERS, post_action, review
from ledger.models import BalanceChange, ChangeBatch
from librechat.testing import create_user, credit_transactions, credits_of

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


@pytest.fixture
def three_users(mongo):
    return [create_user(f"u{i}@example.com", 0) for i in range(3)]


def batch_page(client, batch):
    return client.get(f"/admin/audit/changebatch/{batch.pk}/change/")


@override_settings(BACKGROUND_BATCH_MIN_USERS=3)
@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_a_large_action_is_queued_and_the_worker_applies_it(operator_client, three_users):
    _, fields = review(operator_client, USERS, "top_up", three_users, amount_preset="1000000")
    response = post_action(operator_client, USERS, "top_up", three_users, step="apply", **fields)
    batch = ChangeBatch.objects.get(batch_id=fields["batch_id"])
    assert response.status_code == 302 and response["Location"] == f"/admin/audit/changebatch/{batch.pk}/change/"
    assert all(credits_of(user) == 0 for user in three_users), "nothing is applied in the request"

    waiting = batch_page(operator_client, batch)
    assert "0 applied, 0 failed, 3 remaining, 0 needs review (queued)" in waiting.content.decode()
    assert '<meta http-equiv="refresh" content="3">' in waiting.content.decode()

    call_command("ledger_worker", batch=True, verbosity=0)
    assert all(credits_of(user) == 1_000_000 for user in three_users)
    done = batch_page(operator_client, batch).content.decode()
    assert "3 applied, 0 failed, 0 remaining" in done and 'http-equiv="refresh"' not in done


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_the_worker_resumes_batches_interrupted_before_the_end(operator_client, three_users):
    batch = ChangeBatch.objects.create(batch_id="killed", kind="add", amount_credits=7, source="admin", actor="op")
    for user in three_users:
        BalanceChange.objects.create(
            batch=batch, librechat_user_id=str(user), email="u", requested_credits=7, transaction_id=str(user)
        )
    # A runner that was killed: its lease has lapsed.
    ChangeBatch.objects.filter(pk=batch.pk).update(lease_owner="gone", lease_expires_at=timezone.now() - timedelta(1))
    call_command("ledger_worker", batch=True, verbosity=0)
    assert [credits_of(user) for user in three_users] == [7, 7, 7]
    assert all(len(credit_transactions(user)) == 1 for user in three_users)


def test_a_second_submit_while_the_batch_runs_shows_progress_instead_of_applying(operator_client, three_users):
    _, fields = review(operator_client, USERS, "top_up", three_users, amount_preset="1000000")
    post_action(operator_client, USERS, "top_up", three_users, step="apply", **fields)
    batch = ChangeBatch.objects.get(batch_id=fields["batch_id"])
    BalanceChange.objects.filter(batch=batch).update(status="pending")
    ChangeBatch.objects.filter(pk=batch.pk).update(lease_owner="other", lease_expires_at=timezone.now() + timedelta(1))

    response = post_action(operator_client, USERS, "top_up", three_users, step="apply", follow=True, **fields)
    assert response.status_code == 200
    assert "being applied right now" in response.content.decode()
    assert all(len(credit_transactions(user)) == 1 for user in three_users)
