"""The admin notification: who asked, balance and spend, both parts, one set of signed buttons per admin."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from librechat import documents
from librechat.testing import create_user
from requests_app import links
from requests_app.mail import notify_admins
from requests_app.models import CreditRequest
from requests_app.tests.conftest import ADMINS, link_parts, links_in, outbox_to, pending_request, run_worker, submit

pytestmark = pytest.mark.django_db(databases=["default", "librechat"], transaction=True)


@pytest.fixture
def alice(mongo):
    user_id = create_user("alice@example.com", 1_500_000, name="Alice Liddell")
    now = timezone.now()
    for days_ago, tokens in [(2, 1_000_000), (40, 9_000_000)]:
        mongo.transactions.insert_one(
            documents.spending_transaction(
                user_id,
                token_type="completion",
                tokens=tokens,
                rate=1,
                model="gpt-4o",
                conversation_id="c1",
                created_at=now - timedelta(days=days_ago),
                transaction_id=documents.ObjectId.from_datetime(now - timedelta(days=days_ago)),
            )
        )
    return user_id


def test_it_shows_who_asked_their_balance_and_spend_in_both_parts(client, alice):
    submit(client, amount_wished="2000000", reference="JOB-7", reason="GPU hours\nfor the thesis")
    run_worker()
    message = outbox_to("ann@example.com")[0]
    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"
    assert message.subject == "Credit request from alice@example.com (JOB-7)"
    for text in (message.body, html):
        assert "Alice Liddell" in text and "alice@example.com" in text
        assert "1,500,000 ($1.50)" in text, "the current balance"
        assert "$1.00" in text, "only the last 30 days of spend count"
        assert "2,000,000 credits ($2.00)" in text and "JOB-7" in text
    assert "> GPU hours\n> for the thesis" in message.body
    assert "5,000,000 ($5.00)" in html and "Approve a custom amount" in html and "Reject" in html


def test_every_button_is_signed_for_its_request_action_amount_and_admin(client, alice):
    submit(client)
    run_worker()
    credit_request = CreditRequest.objects.get()
    for admin in ADMINS:
        message = outbox_to(admin)[0]
        urls = links_in(message)
        assert len(urls) == 5
        html = message.alternatives[0][0]
        read = []
        for url in urls:
            assert url.startswith("http://testserver/request/decide/") and url in html
            read.append(links.read_link(*link_parts(url)))
        assert [(link.action, link.amount_credits) for link in read] == [
            ("approve", 5_000_000),
            ("approve", 10_000_000),
            ("approve", 20_000_000),
            ("custom", None),
            ("reject", None),
        ]
        assert {(link.request_id, link.recipient) for link in read} == {(credit_request.pk, admin)}


def test_links_keep_the_path_prefix_of_the_base_url(client, alice, settings):
    settings.WEBHOOK_BASE_URL = "https://chat.example.com/balance-manager/"
    submit(client)
    run_worker()
    url = links_in(mail.outbox[0])[0]
    assert url.startswith("https://chat.example.com/balance-manager/request/decide/")


def test_what_the_requester_typed_cannot_inject_html_or_headers(client, alice):
    response = submit(client, reference="<b>x</b>\r\nBcc: evil@example.com", reason='<a href="http://evil">click</a>')
    run_worker()
    assert response.status_code == 302
    message = outbox_to("ann@example.com")[0]
    html = message.alternatives[0][0]
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert '<a href="http://evil">' not in html
    assert "\n" not in message.subject and "\r" not in message.subject
    assert message.message()["Bcc"] is None and message.recipients() == ["ann@example.com"]
    assert '> <a href="http://evil">click</a>' in message.body, "the plain part quotes it as text"


def test_a_failed_send_keeps_the_request_and_says_why(client, alice, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    response = submit(client)
    run_worker()
    assert response.status_code == 302
    credit_request = CreditRequest.objects.get()
    assert credit_request.notified_at is None
    assert "ann@example.com: ConnectionRefusedError" in credit_request.notify_error


def test_resend_from_the_admin_sends_and_clears_the_error(operator_client, alice):
    credit_request = pending_request(user_id=alice, notify_error="ann@example.com: SMTP down")
    response = operator_client.post(
        "/admin/requests_app/creditrequest/",
        {"action": "resend_notification", "_selected_action": [credit_request.pk], "index": 0},
    )
    assert response.status_code == 302
    assert mail.outbox == [], "queued, not sent inside the request"
    run_worker()
    credit_request.refresh_from_db()
    assert credit_request.notify_error == "" and credit_request.notified_at is not None
    assert sorted(message.to[0] for message in mail.outbox) == ADMINS


def test_an_empty_notify_to_is_recorded_as_the_reason(alice, settings):
    settings.NOTIFY_TO = []
    credit_request = pending_request(user_id=alice)
    assert notify_admins(credit_request) == 0
    run_worker()
    credit_request.refresh_from_db()
    assert credit_request.notify_error == "NOTIFY_TO is empty: no admin was mailed."
    assert mail.outbox == []


def test_while_librechat_is_unreachable_the_worker_records_it_and_tries_again_later(client, alice, request):
    submit(client)
    request.getfixturevalue("unreachable_mongo")
    run_worker()
    credit_request = CreditRequest.objects.get()
    assert credit_request.notify_error.startswith("LibreChat's MongoDB:") and mail.outbox == []
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.task_path == "requests_app.tasks.identify_and_notify_admins" and retry.run_after > timezone.now()
