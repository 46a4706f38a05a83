"""The request queue in the admin: order, search, approve and reject actions, retry crediting, permissions."""

import pytest
from django.core import mail

from ledger.models import ChangeBatch
from librechat.testing import create_user, credit_transactions, credits_of
from requests_app import links
from requests_app.models import CreditRequest
from requests_app.tests.conftest import pending_request, run_worker

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
QUEUE = "/admin/requests_app/creditrequest/"


@pytest.fixture
def alice(mongo):
    return create_user("alice@example.com", 20_000)


def act(client, action, selected, **fields):
    data = {"action": action, "_selected_action": [r.pk for r in selected], "index": 0, **fields}
    return client.post(QUEUE, data)


def test_pending_requests_come_first_and_search_finds_email_and_reference(viewer_client, alice):
    old_pending = pending_request(user_id=alice, reference="CC-100")
    decided = pending_request("bob@example.com", status="rejected", reference="CC-200")
    response = viewer_client.get(QUEUE)
    assert response.status_code == 200
    assert [r.pk for r in response.context["cl"].result_list] == [old_pending.pk, decided.pk]
    found = viewer_client.get(QUEUE, {"q": "cc-200"}).context["cl"].result_list
    assert [r.pk for r in found] == [decided.pk]
    found = viewer_client.get(QUEUE, {"q": "alice@"}).context["cl"].result_list
    assert [r.pk for r in found] == [old_pending.pk]
    assert [r.pk for r in viewer_client.get(QUEUE, {"status__exact": "rejected"}).context["cl"].result_list] == [
        decided.pk
    ]


def test_the_request_page_links_to_the_users_balance_page_and_the_audit_rows(operator_client, alice):
    credit_request = pending_request(user_id=alice)
    act(operator_client, "approve", [credit_request], step="decide", amount_preset="5000000")
    page = operator_client.get(f"{QUEUE}{credit_request.pk}/change/").content.decode()
    assert f"/admin/balances/librechatuser/{alice}/change/" in page
    batch = ChangeBatch.objects.get(batch_id=f"request-{credit_request.pk}")
    assert f"/admin/audit/balancechange/?batch__id__exact={batch.pk}" in page
    assert 'name="_save"' not in page


def test_admin_approve_asks_for_the_amount_then_credits_once(operator_client, alice):
    credit_request = pending_request(user_id=alice)
    first = act(operator_client, "approve", [credit_request])
    assert first.status_code == 200 and "5,000,000 ($5.00)" in first.content.decode()
    assert credits_of(alice) == 20_000
    for _ in range(2):  # a double submit
        done = act(
            operator_client, "approve", [credit_request], step="decide", amount_preset="custom", amount="3,000,000"
        )
        assert done.status_code == 302
    credit_request.refresh_from_db()
    assert (credit_request.status, credit_request.decided_by, credit_request.channel) == (
        "approved",
        "operator",
        "admin",
    )
    assert credits_of(alice) == 3_020_000 and len(credit_transactions(alice)) == 1
    assert ChangeBatch.objects.get().actor == "operator"


def test_admin_approve_refuses_bad_amounts(operator_client, alice, settings):
    credit_request = pending_request(user_id=alice)
    response = act(operator_client, "approve", [credit_request], step="decide", amount_preset="custom", amount="12abc")
    assert response.status_code == 200 and "whole number of credits" in response.content.decode()
    credit_request.refresh_from_db()
    assert credit_request.status == "pending" and credits_of(alice) == 20_000


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_admin_reject_records_the_reason_and_tells_the_requester(operator_client, alice):
    credit_request = pending_request(user_id=alice)
    response = act(operator_client, "reject", [credit_request], step="decide", note="not this month")
    assert response.status_code == 302
    credit_request.refresh_from_db()
    assert (credit_request.status, credit_request.decision_note) == ("rejected", "not this month")
    run_worker()
    assert [m.to for m in mail.outbox] == [["alice@example.com"]] and "> not this month" in mail.outbox[0].body
    assert credits_of(alice) == 20_000


def test_a_decided_request_is_left_alone_with_a_message(operator_client, alice):
    credit_request = pending_request(user_id=alice, status="rejected", decided_by="ann@example.com")
    response = act(operator_client, "approve", [credit_request], step="decide", amount_preset="5000000")
    assert response.status_code == 302
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("already rejected by ann@example.com" in m for m in messages)
    assert credits_of(alice) == 20_000


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_a_failed_credit_stays_approved_and_retry_credits_once(operator_client, alice, mongo):
    mongo.balances.update_one({"user": alice}, {"$set": {"tokenCredits": "broken"}})
    credit_request = pending_request(user_id=alice)
    act(operator_client, "approve", [credit_request], step="decide", amount_preset="5000000")
    credit_request.refresh_from_db()
    assert (credit_request.status, credit_request.crediting) == ("approved", "failed")
    assert "tokenCredits is not a number" in credit_request.crediting_error
    run_worker()
    assert mail.outbox == [], "the requester hears only once the credits are there"
    page = operator_client.get(f"{QUEUE}{credit_request.pk}/change/").content.decode()
    assert "tokenCredits is not a number" in page

    mongo.balances.update_one({"user": alice}, {"$set": {"tokenCredits": 20_000}})
    for _ in range(2):
        assert act(operator_client, "retry_crediting", [credit_request]).status_code == 302
    credit_request.refresh_from_db()
    assert (credit_request.crediting, credit_request.crediting_error) == ("credited", "")
    assert credits_of(alice) == 5_020_000 and len(credit_transactions(alice)) == 1
    run_worker()
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]


def test_an_unreachable_database_while_crediting_is_shown_and_retryable(operator_client, alice, unreachable_mongo):
    credit_request = pending_request(user_id=alice, status="approved", amount_granted_credits=5_000_000)
    CreditRequest.objects.filter(pk=credit_request.pk).update(
        decided_by="operator", batch_id=f"request-{credit_request.pk}", crediting="failed"
    )
    response = act(operator_client, "retry_crediting", [credit_request])
    assert response.status_code == 302
    credit_request.refresh_from_db()
    assert credit_request.crediting == "failed" and "127.0.0.1" in credit_request.crediting_error


def test_viewers_may_look_but_not_decide(viewer_client, alice):
    credit_request = pending_request(user_id=alice)
    assert viewer_client.get(f"{QUEUE}{credit_request.pk}/change/").status_code == 200
    response = act(viewer_client, "approve", [credit_request], step="decide", amount_preset="5000000")
    assert response.status_code == 200 and 'value="approve"' not in response.content.decode()
    credit_request.refresh_from_db()
    assert credit_request.status == "pending" and credits_of(alice) == 20_000


def test_an_interrupted_crediting_can_be_retried_once_it_is_clearly_stuck(operator_client, alice):
    from datetime import timedelta

    from django.utils import timezone

    credit_request = pending_request(user_id=alice)
    CreditRequest.objects.filter(pk=credit_request.pk).update(
        status="approved",
        amount_granted_credits=5_000_000,
        decided_by="ann@example.com",
        batch_id=f"request-{credit_request.pk}",
        crediting="crediting",
        crediting_started_at=timezone.now() - timedelta(minutes=1),
    )
    act(operator_client, "retry_crediting", [credit_request])
    assert credits_of(alice) == 20_000, "a crediting that may still be running is left alone"
    CreditRequest.objects.filter(pk=credit_request.pk).update(crediting_started_at=timezone.now() - timedelta(hours=1))
    act(operator_client, "retry_crediting", [credit_request])
    credit_request.refresh_from_db()
    assert credit_request.crediting == "credited" and credits_of(alice) == 5_020_000


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_deciding_a_request_by_link_closes_its_duplicates_so_the_queue_credits_once(client, operator_client, alice):
    mailed, *duplicates = [pending_request(user_id=alice) for _ in range(3)]
    assert [r.is_duplicate for r in (mailed, *duplicates)] == [False, True, True]
    url = links.link_url(mailed, links.APPROVE, "ann@example.com", 5_000_000).removeprefix("http://testserver")
    assert client.post(url).status_code == 200

    act(
        operator_client,
        "approve",
        [mailed, *duplicates],
        step="decide",
        amount_preset="5000000",
        approve_duplicates="on",
    )

    assert credits_of(alice) == 5_020_000 and len(credit_transactions(alice)) == 1
    for duplicate in duplicates:
        duplicate.refresh_from_db()
        assert (duplicate.status, duplicate.decided_by) == ("rejected", "ann@example.com")
        assert duplicate.decision_note == f"Closed as a duplicate of request {mailed.pk} (approved by ann@example.com)."
    run_worker()
    assert [message.to for message in mail.outbox] == [["alice@example.com"]], "only the approval is mailed"


def test_approving_a_duplicate_needs_an_explicit_override(operator_client, alice):
    mailed, duplicate = pending_request(user_id=alice), pending_request(user_id=alice)
    response = act(operator_client, "approve", [duplicate], step="decide", amount_preset="5000000")
    assert "a duplicate" in " ".join(str(m) for m in response.wsgi_request._messages)
    duplicate.refresh_from_db()
    assert duplicate.status == "pending" and credits_of(alice) == 20_000

    act(operator_client, "approve", [duplicate], step="decide", amount_preset="5000000", approve_duplicates="on")
    duplicate.refresh_from_db()
    assert duplicate.status == "approved" and credits_of(alice) == 5_020_000
    mailed.refresh_from_db()
    assert mailed.status == "pending", "an explicit approval of a duplicate leaves the others to decide"
