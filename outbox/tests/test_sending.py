"""The outbox: queued in the caller's transaction, sent by the worker, retried with backoff, deduplicated."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from outbox.models import Message
from outbox.queue import queue_message, resend
from outbox.sending import send_due_messages

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])

Status = Message.Status


@pytest.fixture(autouse=True)
def outbox_settings(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.OUTBOX_FIRST_RETRY_SECONDS = 60
    return settings


@pytest.fixture
def broken_smtp(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1


def queue(**fields) -> Message:
    defaults = {"event": "test.event", "recipient": "ann@example.com", "subject": "Hello", "body_text": "Hi"}
    return queue_message(**{**defaults, **fields})


def make_due(message: Message) -> None:
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())


def test_it_sends_both_parts_once(settings):
    message = queue(body_html="<p>Hi</p>")
    assert mail.outbox == [], "queued, not sent"
    assert send_due_messages() == 1
    assert send_due_messages() == 0
    assert [(m.to, m.subject, m.body, m.alternatives[0][0]) for m in mail.outbox] == [
        (["ann@example.com"], "Hello", "Hi", "<p>Hi</p>")
    ]
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (Status.SENT, 1, "")
    assert message.sent_at is not None


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_the_worker_command_sends_it():
    message = queue()
    call_command("ledger_worker", batch=True, verbosity=0)
    message.refresh_from_db()
    assert message.status == Status.SENT and len(mail.outbox) == 1


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_a_rolled_back_transaction_queues_nothing():
    with pytest.raises(RuntimeError), transaction.atomic():
        queue()
        raise RuntimeError("the caller failed")
    call_command("ledger_worker", batch=True, verbosity=0)
    assert not Message.objects.exists() and mail.outbox == []


def test_the_same_dedupe_key_is_queued_once():
    first = queue(dedupe_key="request-1-admin")
    second = queue(dedupe_key="request-1-admin", subject="Other")
    assert first.pk == second.pk and Message.objects.count() == 1
    send_due_messages()
    assert len(mail.outbox) == 1


def test_a_failure_is_retried_later_with_growing_delays_then_given_up(broken_smtp):
    message = queue()
    delays = []
    for _ in range(3):
        before = timezone.now()
        assert send_due_messages() == 0
        message.refresh_from_db()
        delays.append(round((message.next_attempt_at - before).total_seconds() / 60))
        assert "ConnectionRefusedError" in message.last_error
        assert send_due_messages() == 0 and message.attempts == len(delays), "not due yet"
        make_due(message)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.FAILED, 3)
    assert delays[:2] == [1, 2]


def test_a_retry_that_works_clears_the_error(broken_smtp, settings):
    message = queue()
    send_due_messages()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make_due(message)
    assert send_due_messages() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (Status.SENT, 2, "")


def test_a_message_claimed_by_another_worker_is_left_to_it():
    message = queue()
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=10))
    assert send_due_messages() == 0 and mail.outbox == []


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_resend_sends_a_sent_or_failed_message_again(broken_smtp, settings):
    message = queue()
    Message.objects.filter(pk=message.pk).update(status=Status.FAILED, attempts=3, last_error="boom")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert resend(Message.objects.filter(pk=message.pk)) == 1
    call_command("ledger_worker", batch=True, verbosity=0)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (Status.SENT, 1, "")
    assert len(mail.outbox) == 1
