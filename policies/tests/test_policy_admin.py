"""The policy admin: list, edit with history, the page's plan and runs, Run now, auto-refill off."""

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.test import override_settings

from ledger.models import ChangeBatch, RefillChange
from librechat.testing import balance_documents, create_user, credits_of
from policies.models import Policy, PolicyRun
from policies.runs import run_due_policies
from policies.tests.helpers import make_policy

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])

POLICIES = "/admin/policies/policy/"


@pytest.fixture
def alice(mongo):
    return create_user("alice@example.com", 1_000_000)


def test_operators_list_policies_with_their_change_and_schedule(operator_client, mongo):
    make_policy("Students", action="top_up_to", amount_credits=5_000_000, frequency="weekly", weekday=4)
    response = operator_client.get(POLICIES)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Students" in content and "top up to 5,000,000" in content and "weekly on Friday at 00:00" in content


def test_an_operator_creates_a_policy_and_its_edits_are_kept_in_the_history(operator_client, mongo):
    form = {
        "name": "Free tier",
        "priority": "10",
        "active": "on",
        "notes": "",
        "roles": "USER",
        "groups": "",
        "email_domains": "",
        "emails": "",
        "action": "reset",
        "amount_credits": "500000",
        "frequency": "monthly",
        "time_of_day": "00:00",
        "weekday": "0",
        "month_day": "0",
    }
    response = operator_client.post(f"{POLICIES}add/", form)
    assert response.status_code == 302
    policy = Policy.objects.get(name="Free tier")
    assert policy.month_day == Policy.LAST_DAY and policy.amount_credits == 500_000
    response = operator_client.post(f"{POLICIES}{policy.pk}/change/", {**form, "amount_credits": "700000"})
    assert response.status_code == 302
    entries = LogEntry.objects.filter(object_id=str(policy.pk)).order_by("pk")
    assert [entry.action_flag for entry in entries] == [1, 2] and "Amount credits" in entries[1].get_change_message()


def test_a_policy_that_reaches_nobody_is_refused_with_a_message(operator_client, mongo):
    response = operator_client.post(
        f"{POLICIES}add/",
        {
            "name": "Nobody",
            "priority": "1",
            "action": "add",
            "amount_credits": "5",
            "frequency": "daily",
            "time_of_day": "00:00",
            "weekday": "0",
            "month_day": "1",
        },
    )
    assert response.status_code == 200 and "Say who the policy reaches" in response.content.decode()
    assert not Policy.objects.exists()


def test_viewers_see_policies_but_cannot_run_them(viewer_client, alice):
    policy = make_policy()
    response = viewer_client.get(f"{POLICIES}{policy.pk}/change/")
    assert response.status_code == 200 and "Run now" not in response.content.decode()
    assert viewer_client.post(f"{POLICIES}{policy.pk}/run-now/").status_code == 403
    assert credits_of(alice) == 1_000_000


def test_the_policy_page_shows_the_plan_the_next_runs_and_the_last_runs(operator_client, alice, mongo):
    create_user("bob@example.com", 9_000_000)
    policy = make_policy(action="reset", amount_credits=2_000_000)
    response = operator_client.get(f"{POLICIES}{policy.pk}/change/")
    content = response.content.decode()
    assert response.status_code == 200
    assert "2 users" in content and "1 lowered" in content and "bob@example.com: 9,000,000" in content
    assert len(response.context["next_runs"]) == 3
    (report,) = run_due_policies(response.context["next_runs"][0])
    batch = ChangeBatch.objects.get(batch_id=report.run.batch_id)
    content = operator_client.get(f"{POLICIES}{policy.pk}/change/").content.decode()
    assert f"/admin/audit/changebatch/{batch.pk}/change/" in content


def test_run_now_reviews_then_applies_a_one_off_batch_once(operator_client, alice):
    policy = make_policy(action="top_up_to", amount_credits=5_000_000)
    review = operator_client.get(f"{POLICIES}{policy.pk}/run-now/")
    assert review.status_code == 200 and "alice@example.com" in review.content.decode()
    confirm = {"batch_token": review.context["batch_token"], "review_token": review.context["review_token"]}
    response = operator_client.post(f"{POLICIES}{policy.pk}/run-now/", confirm)
    batch = ChangeBatch.objects.get(batch_id__startswith=f"policy-{policy.pk}-now-")
    assert response.status_code == 302 and response["Location"] == f"/admin/audit/changebatch/{batch.pk}/change/"
    assert credits_of(alice) == 5_000_000 and batch.actor == "operator" and batch.source == "policy"
    operator_client.post(f"{POLICIES}{policy.pk}/run-now/", confirm)  # a double submit
    assert ChangeBatch.objects.count() == 1 and batch.changes.count() == 1


def test_run_now_refuses_a_policy_edited_since_the_review(operator_client, alice):
    policy = make_policy(action="add", amount_credits=1_000_000)
    review = operator_client.get(f"{POLICIES}{policy.pk}/run-now/")
    Policy.objects.filter(pk=policy.pk).update(amount_credits=9_000_000)
    response = operator_client.post(
        f"{POLICIES}{policy.pk}/run-now/",
        {"batch_token": review.context["batch_token"], "review_token": review.context["review_token"]},
    )
    assert response.status_code == 200 and "The policy changed since the review" in response.content.decode()
    assert credits_of(alice) == 1_000_000 and not PolicyRun.objects.exists()


def test_run_now_refuses_a_forged_review(operator_client, alice):
    policy = make_policy(action="add", amount_credits=1_000_000)
    response = operator_client.post(f"{POLICIES}{policy.pk}/run-now/", {"batch_token": "x", "review_token": "forged"})
    assert response.status_code == 200 and "was not reviewed" in response.content.decode()
    assert credits_of(alice) == 1_000_000


def test_members_with_auto_refill_are_listed_and_switched_off_with_history(operator_client, mongo):
    refilled = create_user(
        "refill@example.com",
        100,
        autoRefillEnabled=True,
        refillIntervalValue=30,
        refillIntervalUnit="days",
        refillAmount=10_000,
    )
    create_user("plain@example.com", 100)
    policy = make_policy()
    content = operator_client.get(f"{POLICIES}{policy.pk}/change/").content.decode()
    assert "refill@example.com" in content and "plain@example.com: +" not in content
    response = operator_client.post(f"{POLICIES}{policy.pk}/auto-refill-off/")
    assert response.status_code == 302
    (document,) = balance_documents(refilled)
    assert document["autoRefillEnabled"] is False and document["refillAmount"] == 10_000
    (change,) = RefillChange.objects.all()
    assert (change.email, change.field_name, change.actor) == ("refill@example.com", "autoRefillEnabled", "operator")
    assert (change.before_value, change.after_value) == ("True", "False")


def test_switching_auto_refill_off_needs_a_post_and_the_permission(viewer_client, mongo):
    policy = make_policy()
    assert viewer_client.post(f"{POLICIES}{policy.pk}/auto-refill-off/").status_code == 403


@override_settings(BACKGROUND_BATCH_MIN_USERS=1)
@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_a_large_run_now_is_queued_and_the_worker_applies_it(operator_client, alice):
    policy = make_policy(action="top_up_to", amount_credits=5_000_000)
    review = operator_client.get(f"{POLICIES}{policy.pk}/run-now/")
    confirm = {"batch_token": review.context["batch_token"], "review_token": review.context["review_token"]}
    response = operator_client.post(f"{POLICIES}{policy.pk}/run-now/", confirm)
    assert response.status_code == 302 and response["Location"] == f"{POLICIES}{policy.pk}/change/"
    assert credits_of(alice) == 1_000_000, "nothing is applied in the request"
    call_command("ledger_worker", batch=True, verbosity=0)
    assert credits_of(alice) == 5_000_000
    assert ChangeBatch.objects.get().batch_id.startswith(f"policy-{policy.pk}-now-")


def test_the_policy_page_says_when_mongodb_is_unreachable(operator_client, mongo, unreachable_mongo):
    policy = make_policy()
    response = operator_client.get(f"{POLICIES}{policy.pk}/change/")
    assert response.status_code == 503 and "LibreChat database unavailable" in response.content.decode()
    assert operator_client.get(POLICIES).status_code == 200, "the list needs no MongoDB"
