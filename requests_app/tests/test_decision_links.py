"""The signed links in the admin mail: GET shows, POST decides once; bad, expired and replayed links change nothing."""

import time
from types import SimpleNamespace

import pytest
from django.core import mail

from ledger.models import BalanceChange, ChangeBatch
from librechat.testing import create_user, credit_transactions, credits_of
from requests_app import links
from requests_app.tests.conftest import link_parts, pending_request, run_worker

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


@pytest.fixture
def alice(mongo):
    return create_user("alice@example.com", 20_000)


@pytest.fixture
def credit_request(alice):
    return pending_request(user_id=alice)


def path_of(url: str) -> str:
    return url.removeprefix("http://testserver")


def approve_url(credit_request, amount=5_000_000, recipient="ann@example.com"):
    return path_of(links.link_url(credit_request, links.APPROVE, recipient, amount))


def assert_unchanged(alice, credit_request):
    credit_request.refresh_from_db()
    assert credit_request.status == "pending"
    assert credits_of(alice) == 20_000 and credit_transactions(alice) == []
    assert not ChangeBatch.objects.exists()


def test_get_shows_a_confirmation_page_and_changes_nothing(client, alice, credit_request):
    response = client.get(approve_url(credit_request))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Approve 5,000,000 credits ($5.00)?" in page and "alice@example.com" in page
    assert "Deciding as ann@example.com" in page and 'method="post"' in page
    assert "style=" not in page and "<script" not in page
    assert_unchanged(alice, credit_request)


def test_post_approves_and_credits_through_the_ledger(client, alice, credit_request):
    response = client.post(approve_url(credit_request))
    assert response.status_code == 200 and "Request approved" in response.content.decode()
    credit_request.refresh_from_db()
    assert (credit_request.status, credit_request.amount_granted_credits) == ("approved", 5_000_000)
    assert (credit_request.decided_by, credit_request.channel) == ("ann@example.com", "email_link")
    assert credit_request.crediting == "credited" and credit_request.batch_id == f"request-{credit_request.pk}"
    assert credits_of(alice) == 5_020_000 and len(credit_transactions(alice)) == 1
    batch = ChangeBatch.objects.get(batch_id=credit_request.batch_id)
    assert (batch.source, batch.actor, batch.amount_credits) == ("request", "ann@example.com", 5_000_000)
    assert f"credit request {credit_request.pk}; reference JOB-1; thesis" == batch.reason


def test_a_user_without_a_balance_document_gets_one(client, mongo):
    bob = create_user("bob@example.com", None)
    credit_request = pending_request("bob@example.com", user_id=bob)
    assert client.post(approve_url(credit_request)).status_code == 200
    assert credits_of(bob) == 5_000_000 and mongo.balances.count_documents({"user": bob}) == 1


def test_a_replayed_or_second_link_is_told_who_decided_and_credits_nothing_more(client, alice, credit_request):
    client.post(approve_url(credit_request))
    for url in (approve_url(credit_request), approve_url(credit_request, 20_000_000, "ben@example.com")):
        shown = client.get(url)
        assert shown.status_code == 200
        assert "already approved (5,000,000 credits ($5.00)) by ann@example.com at" in shown.content.decode()
        assert client.post(url).status_code == 409
    assert credits_of(alice) == 5_020_000 and BalanceChange.objects.count() == 1


def test_custom_link_asks_for_the_amount_within_bounds(client, alice, credit_request, settings):
    url = path_of(links.link_url(credit_request, links.CUSTOM, "ann@example.com"))
    assert 'name="amount"' in client.get(url).content.decode()
    settings.MAX_CREDIT_AMOUNT = 50_000_000
    for bad in ["", "0", "-5", "1.5", "50000001", "1e6"]:
        response = client.post(url, {"amount": bad})
        assert response.status_code == 400 and "There is a problem" in response.content.decode()
    assert_unchanged(alice, credit_request)
    response = client.post(url, {"amount": "7,500,000"})
    assert response.status_code == 200
    assert credits_of(alice) == 7_520_000


def test_reject_asks_for_an_optional_reason_and_credits_nothing(client, alice, credit_request):
    url = path_of(links.link_url(credit_request, links.REJECT, "ben@example.com"))
    assert 'name="note"' in client.get(url).content.decode()
    response = client.post(url, {"note": "budget spent"})
    assert response.status_code == 200 and "Request rejected" in response.content.decode()
    credit_request.refresh_from_db()
    assert (credit_request.status, credit_request.decided_by, credit_request.decision_note) == (
        "rejected",
        "ben@example.com",
        "budget spent",
    )
    assert credits_of(alice) == 20_000 and not ChangeBatch.objects.exists()
    assert "already rejected by ben@example.com" in client.get(approve_url(credit_request)).content.decode()


def test_an_expired_link_says_so_and_points_to_the_admin(client, alice, credit_request, settings, monkeypatch):
    signed_at = time.time() - settings.WEBHOOK_TTL_HOURS * 3600 - 60
    with monkeypatch.context() as patch:
        patch.setattr("django.core.signing.time", SimpleNamespace(time=lambda: signed_at))
        url = approve_url(credit_request)
    for response in (client.get(url), client.post(url)):
        page = response.content.decode()
        assert response.status_code == 410 and "This link has expired" in page
        assert f"/admin/requests_app/creditrequest/{credit_request.pk}/change/" in page
    assert_unchanged(alice, credit_request)


def test_a_tampered_link_gets_a_clear_400(client, alice, credit_request, settings):
    request_id, action, token = link_parts(approve_url(credit_request))
    tampered = [
        f"/request/decide/{request_id}/{action}/{token[:-2]}xx/",
        f"/request/decide/{request_id}/{action}/{token.replace('.', '')[:-1]}/",
        f"/request/decide/{request_id}/{action}/garbage/",
    ]
    settings.WEBHOOK_SECRET = "another secret"
    tampered.append(approve_url(credit_request))
    settings.WEBHOOK_SECRET = "test-webhook-secret"
    for url in tampered:
        for response in (client.get(url), client.post(url)):
            assert response.status_code == 400 and "This link is not valid" in response.content.decode()
    assert_unchanged(alice, credit_request)


def test_a_link_used_for_another_request_or_action_is_refused(client, alice, credit_request):
    other = pending_request(user_id=alice)
    _, _, token = link_parts(approve_url(credit_request))
    _, _, reject_token = link_parts(path_of(links.link_url(credit_request, links.REJECT, "ann@example.com")))
    for url in (
        f"/request/decide/{other.pk}/approve/{token}/",
        f"/request/decide/{credit_request.pk}/custom/{token}/",
        f"/request/decide/{credit_request.pk}/approve/{reject_token}/",
    ):
        response = client.post(url, {"amount": "999"})
        assert response.status_code == 400
        assert "does not belong to this request or action" in response.content.decode()
    assert_unchanged(alice, credit_request)
    other.refresh_from_db()
    assert other.status == "pending"


def test_a_token_signed_for_something_else_is_refused(client, alice, credit_request):
    from django.core import signing

    payload = {"r": credit_request.pk, "a": "approve", "c": 5_000_000, "to": "ann@example.com"}
    token = signing.dumps(payload, key="test-webhook-secret", salt="another.purpose")
    response = client.post(f"/request/decide/{credit_request.pk}/approve/{token}/")
    assert response.status_code == 400
    assert_unchanged(alice, credit_request)


def test_unknown_emails_cannot_be_approved(client, mongo):
    credit_request = pending_request("nobody@example.com")
    response = client.post(approve_url(credit_request))
    assert response.status_code == 409 and "No LibreChat user has the email" in response.content.decode()
    credit_request.refresh_from_db()
    assert credit_request.status == "pending" and not ChangeBatch.objects.exists()


def test_with_login_required_the_page_asks_staff_to_sign_in(alice, credit_request, settings, viewer_client):
    from django.test import Client

    settings.APPROVAL_LINKS_REQUIRE_LOGIN = True
    url = approve_url(credit_request)
    response = Client().get(url)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/?next=/request/decide/")
    assert viewer_client.post(url).status_code == 403
    assert_unchanged(alice, credit_request)


def test_with_login_required_an_operator_may_decide(operator_client, alice, credit_request, settings):
    settings.APPROVAL_LINKS_REQUIRE_LOGIN = True
    assert operator_client.post(approve_url(credit_request)).status_code == 200
    assert credits_of(alice) == 5_020_000


def test_with_login_required_the_signed_in_operator_is_recorded_as_the_decider(
    operator_client, alice, credit_request, settings
):
    settings.APPROVAL_LINKS_REQUIRE_LOGIN = True
    url = approve_url(credit_request, recipient="ann@example.com")
    assert "Deciding as operator." in operator_client.get(url).content.decode()
    assert operator_client.post(url).status_code == 200
    credit_request.refresh_from_db()
    assert (credit_request.status, credit_request.decided_by) == ("approved", "operator")
    assert ChangeBatch.objects.get(batch_id=credit_request.batch_id).actor == "operator"


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_the_requester_is_told_about_the_approval(client, alice, credit_request):
    client.post(approve_url(credit_request))
    run_worker()
    assert [message.to for message in mail.outbox] == [["alice@example.com"]]
    assert "5,000,000 credits ($5.00)" in mail.outbox[0].body


def test_a_link_confirmed_while_mongo_is_down_gets_a_public_503_without_its_address(
    client, alice, credit_request, unreachable_mongo
):
    response = client.post(approve_url(credit_request))
    page = response.content.decode()
    assert response.status_code == 503 and "Please try again later" in page
    assert "mongodb://" not in page and unreachable_mongo.split("/")[2] not in page
    credit_request.refresh_from_db()
    assert credit_request.status == "pending"
