"""The worker's side of the outbox: send what is due, retry failures with exponential backoff.

A message is claimed with a conditional UPDATE before it is sent, so two workers never send it
together; the claim lapses after CLAIM_SECONDS, so a message whose worker died is sent again.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Min
from django.dispatch import Signal
from django.utils import timezone
from django_tasks import task

from outbox.channels import SENDERS
from outbox.models import Message

log = logging.getLogger(__name__)
CLAIM_SECONDS = 600
_DUE_PER_RUN = 200

# Sent after every attempt (sent, to be retried, or given up) with `message`: lets the app that
# queued it record the outcome on its own rows without the outbox knowing about them.
attempt_finished = Signal()


@task()
def send_due_messages_task() -> None:
    send_due_messages()


def send_due_messages() -> int:
    """Send every pending message that is due; returns how many were sent."""
    now = timezone.now()
    due = Message.objects.filter(status=Message.Status.PENDING, next_attempt_at__lte=now)
    sent = 0
    for pk in due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:_DUE_PER_RUN]:
        message = _claim(pk, now)
        if message is not None:
            sent += _attempt(message)
    if due.exists():  # more than one run's worth
        wake_worker()
    return sent


def wake_worker(at: datetime | None = None) -> None:
    """Have the worker send due messages at `at` (now by default); the task row joins the caller's transaction."""
    send_due_messages_task.using(run_after=at).enqueue()


def wake_worker_for_pending() -> bool:
    """On worker start: schedule a run for pending messages whose task was lost with a crashed worker."""
    first_due = Message.objects.filter(status=Message.Status.PENDING).aggregate(Min("next_attempt_at"))
    if first_due["next_attempt_at__min"] is None:
        return False
    wake_worker(first_due["next_attempt_at__min"])
    return True


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, ... times OUTBOX_FIRST_RETRY_SECONDS after the 1st, 2nd, 3rd ... failed attempt."""
    return timedelta(seconds=settings.OUTBOX_FIRST_RETRY_SECONDS * 2 ** (attempts - 1))


def _claim(pk: int, now: datetime) -> Message | None:
    claimed = Message.objects.filter(pk=pk, status=Message.Status.PENDING, next_attempt_at__lte=now).update(
        next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS), attempts=F("attempts") + 1
    )
    return Message.objects.get(pk=pk) if claimed else None


def _attempt(message: Message) -> bool:
    try:
        SENDERS[message.channel](message)
    # Backends raise what they like (smtplib, socket, anymail's API errors): record it and retry.
    except Exception as exc:
        _record_failure(message, f"{exc.__class__.__name__}: {exc}")
        return False
    message.status, message.sent_at, message.last_error = Message.Status.SENT, timezone.now(), ""
    message.save(update_fields=["status", "sent_at", "last_error"])
    attempt_finished.send(Message, message=message)
    return True


def _record_failure(message: Message, error: str) -> None:
    message.last_error = error
    if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        message.status = Message.Status.FAILED
    else:
        message.next_attempt_at = timezone.now() + retry_delay(message.attempts)
        wake_worker(message.next_attempt_at)
    message.save(update_fields=["status", "last_error", "next_attempt_at"])
    # The recipient and the error, never the body: admin mails hold signed approval links.
    log.warning(
        "outbox message %s (%s to %s) failed, attempt %s: %s",
        message.pk,
        message.event,
        message.recipient,
        message.attempts,
        error,
        extra={"event": "outbox_send_failed", "message_id": message.pk, "status": message.status},
    )
    attempt_finished.send(Message, message=message)
