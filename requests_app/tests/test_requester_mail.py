"""The requester hears the decision: the amount and new balance, or the reason; unknown emails hear nothing."""

import pytest
from django.core import mail

from librechat.testing import create_user
from requests_app import decisions
from requests_app.models import CreditRequest
from requests_app.tests.conftest import pending_request, run_worker

pytestmark = pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
ADMIN = CreditRequest.Channel.ADMIN


@pytest.fixture
def alice(mongo):
    return create_user("alice@example.com", 1_000_000)


def test_an_approval_tells_the_amount_and_the_new_balance(alice):
    credit_request = pending_request(user_id=alice)
    decisions.approve(credit_request, amount_credits=5_000_000, decided_by="ann@example.com", channel=ADMIN)
    run_worker()
    credit_request.refresh_from_db()
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"] and message.subject == "Your credit request was approved"
    for text in (message.body, message.alternatives[0][0]):
        assert "5,000,000 credits ($5.00)" in text and "6,000,000 credits ($6.00)" in text
    assert credit_request.requester_notified_at is not None


def test_a_rejection_quotes_the_reason_escaped(alice):
    credit_request = pending_request(user_id=alice)
    decisions.reject(credit_request, note="<i>no</i>\nsorry", decided_by="ann@example.com", channel=ADMIN)
    run_worker()
    message = mail.outbox[0]
    assert message.subject == "Your credit request was not approved"
    assert "> <i>no</i>\n> sorry" in message.body
    assert "&lt;i&gt;no&lt;/i&gt;<br>sorry" in message.alternatives[0][0]


def test_unknown_emails_are_never_mailed(mongo):
    credit_request = pending_request("nobody@example.com")
    decisions.reject(credit_request, note="", decided_by="ann@example.com", channel=ADMIN)
    run_worker()
    assert mail.outbox == [] and credit_request.requester_notified_at is None


def test_it_can_be_switched_off(alice, settings):
    settings.REQUEST_NOTIFY_REQUESTER = False
    credit_request = pending_request(user_id=alice)
    decisions.approve(credit_request, amount_credits=1, decided_by="ann@example.com", channel=ADMIN)
    run_worker()
    assert mail.outbox == []


def test_a_failed_notification_is_recorded_and_the_decision_stands(alice, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    credit_request = pending_request(user_id=alice)
    decisions.approve(credit_request, amount_credits=5_000_000, decided_by="ann@example.com", channel=ADMIN)
    assert mail.outbox == [], "queued, not sent while the admin waits"
    run_worker()
    credit_request.refresh_from_db()
    assert (credit_request.status, credit_request.crediting) == ("approved", "credited")
    assert (
        credit_request.requester_notified_at is None
        and "ConnectionRefusedError" in credit_request.requester_notify_error
    )
