"""Policy runs through run_due_policies: each kind's effect, once per period, missed periods, odd balances."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from bson import ObjectId
from django.db import connections

from ledger.models import BalanceChange, ChangeBatch
from librechat import documents
from librechat.testing import balance_documents, create_user, credit_transactions, credits_of
from policies.models import Policy, PolicyRun
from policies.runs import claim_run, period_batch_id, plan, run_due_policies
from policies.tests.helpers import make_policy

pytestmark = pytest.mark.django_db(databases=["default", "librechat"], transaction=True)

NOW = datetime(2026, 11, 15, 12, tzinfo=UTC)
NEXT_MONTH = datetime(2026, 12, 15, 12, tzinfo=UTC)


@pytest.fixture
def alice(mongo):
    return create_user("alice@example.com", 1_000_000)


@pytest.fixture
def bob(mongo):
    return create_user("bob@example.com", 9_000_000)


def test_top_up_to_raises_low_balances_and_keeps_unused_credit(alice, bob):
    make_policy(action="top_up_to", amount_credits=5_000_000)
    (report,) = run_due_policies(NOW)
    assert credits_of(alice) == 5_000_000 and credits_of(bob) == 9_000_000
    batch = ChangeBatch.objects.get(batch_id=report.run.batch_id)
    assert batch.batch_id.startswith("policy-") and batch.batch_id.endswith("-2026-11-01T00:00:00Z")
    assert (batch.source, batch.kind, batch.amount_credits) == ("policy", "top_up_to", 5_000_000)
    assert [row["tokenValue"] for row in credit_transactions(alice)] == [4_000_000]


def test_reset_sets_every_member_to_the_amount(alice, bob):
    make_policy(action="reset", amount_credits=2_000_000)
    run_due_policies(NOW)
    assert credits_of(alice) == 2_000_000 and credits_of(bob) == 2_000_000
    assert [row["tokenValue"] for row in credit_transactions(bob)] == [-7_000_000]


def test_add_adds_to_every_member(alice, bob):
    make_policy(action="add", amount_credits=1_500_000)
    run_due_policies(NOW)
    assert credits_of(alice) == 2_500_000 and credits_of(bob) == 10_500_000


def test_add_with_a_cap_never_raises_a_balance_above_it(alice, bob, mongo):
    carol = create_user("carol@example.com", 4_500_000)
    make_policy(action="add", amount_credits=2_000_000, cap_credits=5_000_000)
    (report,) = run_due_policies(NOW)
    assert (credits_of(alice), credits_of(carol), credits_of(bob)) == (3_000_000, 5_000_000, 9_000_000)
    batch = ChangeBatch.objects.get(batch_id=report.run.batch_id)
    assert batch.amount_credits is None
    assert sorted(batch.changes.values_list("email", "requested_credits")) == [
        ("alice@example.com", 2_000_000),
        ("carol@example.com", 500_000),
    ]


def test_expire_sets_every_member_to_zero(alice, bob):
    make_policy(action="expire", amount_credits=0)
    run_due_policies(NOW)
    assert credits_of(alice) == 0 and credits_of(bob) == 0


def test_a_user_without_a_balance_document_gets_one(mongo):
    dora = create_user("dora@example.com")
    make_policy(action="top_up_to", amount_credits=5_000_000)
    run_due_policies(NOW)
    assert [doc["tokenCredits"] for doc in balance_documents(dora)] == [5_000_000]


def test_the_earliest_of_duplicate_documents_counts(mongo, alice):
    mongo.balances.insert_one({"user": alice, "tokenCredits": 50})
    make_policy(action="top_up_to", amount_credits=5_000_000)
    run_due_policies(NOW)
    assert [doc["tokenCredits"] for doc in balance_documents(alice)] == [5_000_000, 50]


def test_a_balance_that_is_not_a_number_is_refused_and_reported(mongo, alice):
    eve = create_user("eve@example.com", "lots")
    make_policy(action="reset", amount_credits=2_000_000)
    (report,) = run_due_policies(NOW)
    assert "1 refused" in report.describe()
    assert credits_of(eve) == "lots" and credits_of(alice) == 2_000_000
    refused = BalanceChange.objects.get(email="eve@example.com")
    assert refused.status == "failed" and "not a number" in refused.error


def test_a_period_is_applied_once_however_often_the_scheduler_looks(alice):
    make_policy(action="add", amount_credits=1_000_000)
    run_due_policies(NOW)
    assert run_due_policies(NOW) == []
    assert run_due_policies(datetime(2026, 11, 30, 23, 59, tzinfo=UTC)) == []
    assert credits_of(alice) == 2_000_000 and len(credit_transactions(alice)) == 1
    run_due_policies(NEXT_MONTH)
    assert credits_of(alice) == 3_000_000 and len(credit_transactions(alice)) == 2


def test_two_schedulers_at_once_apply_a_period_once(alice, bob):
    make_policy(action="add", amount_credits=1_000_000)
    errors = []

    def scheduler():
        try:
            run_due_policies(NOW)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run_due_policies(NOW)  # whichever lost the lease left nothing pending, or this finishes it
    assert errors == []
    assert credits_of(alice) == 2_000_000 and credits_of(bob) == 10_000_000
    assert len(credit_transactions(alice)) == 1 and PolicyRun.objects.count() == 1


def test_after_downtime_only_the_latest_missed_period_runs_and_says_so(alice):
    make_policy(action="add", amount_credits=1_000_000)
    (report,) = run_due_policies(NOW)  # January to November: ten missed, one applied
    assert credits_of(alice) == 2_000_000
    assert report.run.reason.endswith("; 10 earlier missed periods skipped")
    assert report.run.period_start == datetime(2026, 11, 1, tzinfo=UTC)


def test_catch_up_applies_every_missed_period(alice):
    policy = make_policy(action="add", amount_credits=1_000_000, catch_up=True)
    PolicyRun.objects.create(
        policy_pk=policy.pk,
        policy_name=policy.name,
        batch_id="policy-earlier",
        period_start=datetime(2026, 8, 1, tzinfo=UTC),
        kind="add",
        amount_credits=1,
        actor="x",
        reason="x",
        targets_added=True,
    )
    reports = run_due_policies(NOW)
    assert [report.run.period_start.month for report in reports] == [9, 10, 11]
    assert credits_of(alice) == 4_000_000


def test_a_policy_switched_on_mid_period_starts_with_the_next_period(alice):
    Policy.objects.create(name="New", action="add", amount_credits=1_000_000, roles="USER")
    assert run_due_policies(datetime.now(UTC)) == []
    assert credits_of(alice) == 1_000_000


def test_an_edit_mid_period_takes_effect_next_period(alice):
    policy = make_policy(action="add", amount_credits=1_000_000)
    run_due_policies(NOW)
    policy.amount_credits = 3_000_000
    policy.save()
    run_due_policies(NOW)
    assert credits_of(alice) == 2_000_000
    run_due_policies(NEXT_MONTH)
    assert credits_of(alice) == 5_000_000


def test_a_paused_policy_reaches_nobody_and_never_runs(alice):
    make_policy(action="add", amount_credits=1_000_000, active=False)
    assert run_due_policies(NOW) == []
    assert credits_of(alice) == 1_000_000


def test_an_outage_claims_the_period_and_applies_nothing(alice, mongo, unreachable_mongo):
    make_policy(action="add", amount_credits=1_000_000)
    (report,) = run_due_policies(NOW)  # MongoDB is down: the period is claimed, nothing applied
    assert "not applied" in report.describe()
    assert BalanceChange.objects.count() == 0 and PolicyRun.objects.get().targets_added is False


def test_a_claimed_period_that_never_opened_is_finished_by_the_next_look(alice):
    policy = make_policy(action="add", amount_credits=1_000_000)
    begins = datetime(2026, 11, 1, tzinfo=UTC)
    run = claim_run(policy, batch_id=period_batch_id(policy.pk, begins), period_begins=begins, actor="policy scheduler")
    (report,) = run_due_policies(NOW)
    assert report.run.pk == run.pk and credits_of(alice) == 2_000_000
    assert run_due_policies(NOW) == [] and len(credit_transactions(alice)) == 1


def test_the_preview_shows_what_the_run_does(alice, bob, mongo):
    carol = create_user("carol@example.com")
    policy = make_policy(action="top_up_to", amount_credits=5_000_000)
    preview = plan(policy)
    assert preview.user_count == 3 and preview.lowered_count == 0
    assert preview.delta_credits == 4_000_000 + 5_000_000
    run_due_policies(NOW)
    expected = {change.email: change.after_credits for change in preview.first_changes}
    assert expected == {
        "alice@example.com": credits_of(alice),
        "bob@example.com": credits_of(bob),
        "carol@example.com": credits_of(carol),
    }


def test_the_preview_names_the_users_a_reset_lowers(alice, bob):
    preview = plan(make_policy(action="reset", amount_credits=2_000_000))
    assert [change.email for change in preview.lowered] == ["bob@example.com"]
    assert preview.delta_credits == 1_000_000 - 7_000_000


def test_a_deleted_policy_keeps_its_batches(alice):
    policy = make_policy(action="add", amount_credits=1_000_000)
    run_due_policies(NOW)
    policy.delete()
    assert ChangeBatch.objects.filter(batch_id__startswith="policy-").count() == 1
    assert PolicyRun.objects.count() == 1


def test_a_start_allowance_goes_once_to_members_newer_than_the_policy(mongo, alice):
    policy = make_policy(action="add", amount_credits=1, start_allowance_credits=3_000_000)
    joined = alice.generation_time + timedelta(seconds=5)
    Policy.objects.filter(pk=policy.pk).update(created_at=joined, active_since=datetime.now(UTC))
    newcomer = ObjectId.from_datetime(joined + timedelta(seconds=1))
    mongo.users.insert_one(documents.user("new@example.com", user_id=newcomer))
    (report,) = run_due_policies(datetime.now(UTC))
    assert report.run.batch_id == f"policy-{policy.pk}-start"
    run_due_policies(datetime.now(UTC))
    assert credits_of(newcomer) == 3_000_000 and len(credit_transactions(newcomer)) == 1
    assert credits_of(alice) == 1_000_000


def test_the_scheduler_is_quiet_when_no_newcomer_needs_a_start_allowance(mongo, alice):
    policy = make_policy(action="add", amount_credits=1, start_allowance_credits=3_000_000)
    Policy.objects.filter(pk=policy.pk).update(created_at=datetime.now(UTC), active_since=datetime.now(UTC))
    assert run_due_policies(datetime.now(UTC)) == []
    assert not PolicyRun.objects.exists()


def test_a_resumed_policy_skips_the_period_it_was_paused_in(alice):
    policy = make_policy(action="add", amount_credits=1_000_000)
    policy.active = False
    policy.save()
    policy.active = True
    policy.save()
    assert run_due_policies(datetime.now(UTC)) == []
    assert credits_of(alice) == 1_000_000
