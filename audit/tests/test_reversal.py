"""Reversing a batch: the plan first, the opposite changes as one linked batch, never twice."""

import pytest

from audit.tests.test_csv_import import confirm, upload
from ledger.changes import Kind, LedgerError, Target, open_batch, run_batch
from ledger.models import ChangeBatch
from ledger.reversal import reverse_batch
from librechat.testing import create_user, credit_transactions, credits_of

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


@pytest.fixture
def people(mongo):
    return {"alice": create_user("alice@example.com", 100), "bob": create_user("bob@example.com", 0)}


def apply(kind, amount, people, batch_id="promo"):
    targets = [Target(user_id, f"{name}@example.com") for name, user_id in people.items()]
    batch = open_batch(
        kind=kind, amount_credits=amount, source="admin", actor="ops", batch_id=batch_id, targets=targets
    )
    assert run_batch(batch).complete
    return batch


def reverse_url(batch):
    return f"/admin/audit/changebatch/{batch.pk}/reverse/"


def test_the_batch_page_offers_reversal_to_operators(operator_client, people):
    batch = apply(Kind.ADD, 5_000, people)
    page = operator_client.get(f"/admin/audit/changebatch/{batch.pk}/change/")
    assert page.status_code == 200 and reverse_url(batch) in page.content.decode()


def test_viewers_may_not_reverse(viewer_client, people):
    batch = apply(Kind.ADD, 5_000, people)
    page = viewer_client.get(f"/admin/audit/changebatch/{batch.pk}/change/")
    assert page.status_code == 200 and reverse_url(batch) not in page.content.decode()
    assert viewer_client.get(reverse_url(batch)).status_code == 403
    assert viewer_client.post(reverse_url(batch), {"reason": "x"}).status_code == 403
    assert credits_of(people["alice"]) == 5_100 and ChangeBatch.objects.count() == 1


def test_it_shows_the_plan_then_writes_the_opposite_as_a_linked_batch(operator_client, people):
    batch = apply(Kind.ADD, 5_000, people)
    plan = operator_client.get(reverse_url(batch))
    assert plan.status_code == 200
    assert (plan.context["plan"].user_count, plan.context["plan"].total_credits) == (2, -10_000)
    assert plan.context["plan"].below_zero_count == 0 and credits_of(people["alice"]) == 5_100
    assert 'class="button cancel-link">Cancel</a>' in plan.content.decode()

    done = operator_client.post(reverse_url(batch), {"reason": "sent twice"})
    reversal = ChangeBatch.objects.get(reverses=batch)
    assert done.status_code == 302 and done["Location"] == f"/admin/audit/changebatch/{reversal.pk}/change/"
    assert (credits_of(people["alice"]), credits_of(people["bob"])) == (100, 0)
    assert (reversal.actor, reversal.kind) == ("operator", Kind.ADD)
    assert reversal.reason == "Reverses batch promo: sent twice"
    assert sorted(reversal.changes.values_list("delta_credits", flat=True)) == [-5_000, -5_000]
    assert [row["tokenValue"] for row in credit_transactions(people["bob"])] == [5_000, -5_000]


def test_it_refuses_to_reverse_a_batch_twice(operator_client, people):
    batch = apply(Kind.ADD, 5_000, people)
    operator_client.post(reverse_url(batch), {"reason": "once"})
    again = operator_client.post(reverse_url(batch), {"reason": "twice"}, follow=True)
    assert again.status_code == 200 and "already reversed" in again.content.decode()
    with pytest.raises(LedgerError, match="already reversed"):
        reverse_batch(batch, actor="ops", reason="twice")
    assert ChangeBatch.objects.count() == 2 and credits_of(people["alice"]) == 100


def test_it_warns_with_a_count_and_needs_a_choice_when_balances_would_go_below_zero(operator_client, mongo, people):
    batch = apply(Kind.ADD, 5_000, people)
    mongo.balances.update_one({"user": people["alice"]}, {"$set": {"tokenCredits": 1_000}})  # LibreChat spent
    plan = operator_client.get(reverse_url(batch))
    assert plan.context["plan"].below_zero_count == 1 and "alice@example.com" in plan.content.decode()

    refused = operator_client.post(reverse_url(batch), {"reason": "oops"})
    assert refused.status_code == 200 and "below 0" in str(refused.context["form"].errors)
    assert credits_of(people["alice"]) == 1_000 and not ChangeBatch.objects.filter(reverses=batch).exists()


@pytest.mark.parametrize(("choice", "alice_after"), [("clamp", 0), ("allow_negative", -4_000)])
def test_the_below_zero_choice_clamps_or_allows_negative(operator_client, mongo, people, choice, alice_after):
    batch = apply(Kind.ADD, 5_000, people)
    mongo.balances.update_one({"user": people["alice"]}, {"$set": {"tokenCredits": 1_000}})
    done = operator_client.post(reverse_url(batch), {"reason": "oops", "below_zero": choice})
    assert done.status_code == 302
    assert (credits_of(people["alice"]), credits_of(people["bob"])) == (alice_after, 0)
    reversal = ChangeBatch.objects.get(reverses=batch)
    alice_row = reversal.changes.get(email="alice@example.com")
    assert (alice_row.before_credits, alice_row.after_credits, alice_row.status) == (1_000, alice_after, "applied")
    assert credit_transactions(people["alice"])[-1]["tokenValue"] == alice_after - 1_000


def test_reversing_a_set_applies_the_opposite_of_its_recorded_difference(operator_client, people):
    batch = apply(Kind.SET, 2_000, people)
    operator_client.post(reverse_url(batch), {"reason": "wrong amount"})
    assert (credits_of(people["alice"]), credits_of(people["bob"])) == (100, 0)


def test_a_reversal_run_again_applies_nothing_more(people):
    batch = apply(Kind.ADD, 5_000, people)
    reversal = reverse_batch(batch, actor="ops", reason="")
    outcome = run_batch(reversal)
    assert outcome.applied_count == 0 and outcome.already_applied_count == 2
    assert credits_of(people["alice"]) == 100


def test_a_reversed_import_never_applies_its_failed_row_when_the_file_is_run_again(admin_client, mongo, people):
    mallory = create_user("mallory@example.com", "lots")
    text = "email,amount\nalice@example.com,1000\nmallory@example.com,4242\n"
    confirm(admin_client, upload(admin_client, text))
    batch = ChangeBatch.objects.get()
    assert sorted(batch.changes.values_list("status", flat=True)) == ["applied", "failed"]
    assert admin_client.post(reverse_url(batch), {"reason": "wrong file"}).status_code == 302
    mongo.balances.update_one({"user": mallory}, {"$set": {"tokenCredits": 0}})

    done = confirm(admin_client, upload(admin_client, text))

    assert done.status_code == 302
    assert credits_of(mallory) == 0 and credit_transactions(mallory) == []
    assert credits_of(people["alice"]) == 100
    assert batch.changes.get(email="mallory@example.com").status == "failed"
    with pytest.raises(LedgerError, match="was reversed by batch reverse-"):
        open_batch(
            kind=Kind.ADD,
            amount_credits=None,
            source="import",
            actor="admin",
            reason="CSV import",
            batch_id=batch.batch_id,
            fingerprint=batch.fingerprint,
        )
    assert not run_batch(batch, retry_failed=True).complete
    assert credits_of(mallory) == 0


def test_the_plan_shows_what_clamping_at_zero_takes_back(operator_client, mongo, people):
    batch = apply(Kind.ADD, 5_000, people)
    mongo.balances.update_one({"user": people["alice"]}, {"$set": {"tokenCredits": 1_000}})
    plan = operator_client.get(reverse_url(batch))
    assert (plan.context["plan"].total_credits, plan.context["plan"].clamped_total_credits) == (-10_000, -6_000)
    content = plan.content.decode()
    assert "-10,000 credits" in content and "-6,000 credits" in content
    operator_client.post(reverse_url(batch), {"reason": "oops", "below_zero": "clamp"})
    applied = ChangeBatch.objects.get(reverses=batch).changes.values_list("delta_credits", flat=True)
    assert sum(applied) == -6_000
