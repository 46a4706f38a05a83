"""Approve and Reject buttons on a pending request's page and its row in the queue: the bulk actions'
pages for that one request, the same checks and the same audited path, then back where the operator was."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.utils import timezone

from ledger.models import BalanceChange, ChangeBatch
from librechat.testing import create_user, credits_of
from requests_app.models import CreditRequest
from requests_app.tests.conftest import pending_request

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
QUEUE = "/admin/requests_app/creditrequest/"


@pytest.fixture
def alice(mongo):
    return create_user("alice@example.com", 20_000)


def button_urls(content: str, label: str) -> list[str]:
    return [unescape(url) for url in re.findall(rf'<a class="button row-button" href="([^"]+)">{label}</a>', content)]


def test_approve_from_a_queue_row_credits_once_and_returns_to_the_filtered_queue(operator_client, alice):
    credit_request = pending_request(user_id=alice)
    pending_request("bob@example.com", status="rejected")
    queue_url = f"{QUEUE}?q=alice"
    [url] = button_urls(operator_client.get(queue_url).content.decode(), "Approve")
    page = operator_client.get(url)
    assert page.status_code == 200 and "alice@example.com" in page.content.decode()
    assert f'<a href="{queue_url}" class="button cancel-link">Cancel</a>' in page.content.decode()
    done = operator_client.post(url, {"step": "decide", "amount_preset": "custom", "amount": "3,000,000"})
    assert done.status_code == 302 and done["Location"] == queue_url
    credit_request.refresh_from_db()
    assert (credit_request.status, credit_request.decided_by, credit_request.channel) == (
        "approved",
        "operator",
        "admin",
    )
    assert credits_of(alice) == 3_020_000
    batch = ChangeBatch.objects.get(batch_id=f"request-{credit_request.pk}")
    assert batch.actor == "operator" and BalanceChange.objects.get(batch=batch).delta_credits == 3_000_000


def test_reject_from_the_requests_page_returns_to_the_page(operator_client, alice):
    credit_request = pending_request(user_id=alice)
    page_url = f"{QUEUE}{credit_request.pk}/change/"
    [url] = button_urls(operator_client.get(page_url).content.decode(), "Reject")
    done = operator_client.post(url, {"step": "decide", "note": "not this month"})
    assert done.status_code == 302 and done["Location"] == page_url
    credit_request.refresh_from_db()
    assert (credit_request.status, credit_request.decision_note) == ("rejected", "not this month")
    assert credits_of(alice) == 20_000
    assert not button_urls(operator_client.get(page_url).content.decode(), "Approve"), "decided: no more buttons"


def test_only_pending_rows_have_buttons(operator_client, alice):
    pending_request(user_id=alice)
    pending_request("bob@example.com", status="approved")
    content = operator_client.get(QUEUE).content.decode()
    assert len(button_urls(content, "Approve")) == 1 and len(button_urls(content, "Reject")) == 1


def test_a_request_decided_meanwhile_is_left_alone_with_a_message(operator_client, alice):
    credit_request = pending_request(user_id=alice)
    [url] = button_urls(operator_client.get(QUEUE).content.decode(), "Approve")
    CreditRequest.objects.filter(pk=credit_request.pk).update(status="rejected", decided_by="ann")
    done = operator_client.post(url, {"step": "decide", "amount_preset": "5000000"}, follow=True)
    assert "already rejected by ann" in done.content.decode()
    assert credits_of(alice) == 20_000 and not ChangeBatch.objects.exists()


def test_viewers_see_no_buttons_and_may_not_decide(viewer_client, alice):
    credit_request = pending_request(user_id=alice)
    assert "row-button" not in viewer_client.get(QUEUE).content.decode()
    assert "row-button" not in viewer_client.get(f"{QUEUE}{credit_request.pk}/change/").content.decode()
    url = f"{QUEUE}{credit_request.pk}/decide/approve/"
    assert viewer_client.post(url, {"step": "decide", "amount_preset": "5000000"}).status_code == 403
    credit_request.refresh_from_db()
    assert credit_request.status == "pending" and credits_of(alice) == 20_000


def test_an_unsafe_next_is_ignored(operator_client, alice):
    credit_request = pending_request(user_id=alice)
    url = f"{QUEUE}{credit_request.pk}/decide/reject/?next=https://evil.example/"
    done = operator_client.post(url, {"step": "decide", "note": ""})
    assert done.status_code == 302 and done["Location"] == QUEUE
    credit_request.refresh_from_db()
    assert credit_request.status == "rejected"


@pytest.mark.parametrize("path", ["999999/decide/approve/", "{pk}/decide/delete/"])
def test_an_unknown_request_or_decision_is_not_found(operator_client, alice, path):
    credit_request = pending_request(user_id=alice)
    assert operator_client.get(QUEUE + path.format(pk=credit_request.pk)).status_code == 404


def test_the_queue_shows_the_oldest_pending_first_then_the_latest_decided(viewer_client, alice):
    now = timezone.now()
    ages = {"new": 1, "old": 30, "middle": 10}
    pending = {name: pending_request(f"{name}@example.com", client_ip=f"10.0.0.{days}") for name, days in ages.items()}
    for name, days in ages.items():
        CreditRequest.objects.filter(pk=pending[name].pk).update(created_at=now - timedelta(days=days))
    decided_old = pending_request("d1@example.com", status="rejected")
    decided_new = pending_request("d2@example.com", status="approved")
    CreditRequest.objects.filter(pk=decided_old.pk).update(created_at=now - timedelta(days=40))
    order = [r.pk for r in viewer_client.get(QUEUE).context["cl"].result_list]
    assert order == [pending["old"].pk, pending["middle"].pk, pending["new"].pk, decided_new.pk, decided_old.pk]
