"""`resolve_review_changes`: old 'needs review' adds settled where the balance says what happened."""

import io

import pytest
from bson import ObjectId
from django.core.management import call_command

from ledger.models import BalanceChange, ChangeBatch
from librechat.documents import credits_transaction
from librechat.testing import create_user, credit_transactions, credits_of

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


def review_row(mongo, user_id, before, after):
    batch = ChangeBatch.objects.create(
        batch_id=f"old-{user_id}", kind="add", amount_credits=100, source="cli", actor="ops"
    )
    transaction_id = ObjectId()
    mongo.transactions.insert_one(credits_transaction(user_id, 100, transaction_id=transaction_id))
    return BalanceChange.objects.create(
        batch=batch,
        librechat_user_id=str(user_id),
        email=f"{user_id}@example.com",
        requested_credits=100,
        before_credits=before,
        delta_credits=100,
        after_credits=after,
        status="review",
        transaction_id=str(transaction_id),
    )


def test_it_settles_what_the_balance_proves_and_lists_the_rest(mongo):
    credited = create_user("credited@example.com", 110)  # the $inc happened
    missed = create_user("missed@example.com", 10)  # it did not
    busy = create_user("busy@example.com", 55)
    rows = [review_row(mongo, credited, 10, 110), review_row(mongo, missed, 10, 110), review_row(mongo, busy, 10, 110)]
    mongo.transactions.insert_one({"user": busy, "tokenType": "prompt", "tokenValue": -55})

    out = io.StringIO()
    call_command("resolve_review_changes", stdout=out)
    assert "Dry run" in out.getvalue() and credits_of(missed) == 10

    call_command("resolve_review_changes", "--apply", stdout=io.StringIO())
    statuses = [BalanceChange.objects.get(pk=row.pk).status for row in rows]
    assert statuses == ["applied", "applied", "review"]
    assert (credits_of(credited), credits_of(missed), credits_of(busy)) == (110, 110, 55)
    assert len(credit_transactions(missed)) == 1, "the existing transaction row is reused"
