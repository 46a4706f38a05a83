"""Queue a message in the caller's transaction; the worker sends it (outbox.sending)."""

import base64
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from outbox.channels import apprise_targets
from outbox.models import Message
from outbox.sending import wake_worker


def queue_message(
    *,
    event: str,
    recipient: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    channel: str = Message.Channel.EMAIL,
    reference: str = "",
    dedupe_key: str | None = None,
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> Message:
    """Store a pending message and wake the worker; with a `dedupe_key` already queued, return that message."""
    if dedupe_key is not None and (existing := Message.objects.filter(dedupe_key=dedupe_key).first()):
        return existing
    message = Message(
        event=event,
        channel=channel,
        recipient=recipient,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        reference=reference,
        dedupe_key=dedupe_key,
        next_attempt_at=timezone.now(),
        attachments=[
            {"filename": name, "mimetype": mimetype, "content_base64": base64.b64encode(content).decode()}
            for name, content, mimetype in attachments
        ],
    )
    try:
        with transaction.atomic():
            message.save()
            wake_worker()
    except IntegrityError:  # the same key was queued in the meantime
        return Message.objects.get(dedupe_key=dedupe_key)
    return message


def queue_on_every_target(event: str, subject: str, body_text: str, *, dedupe_key: str) -> int:
    """The same text to every chat or webhook target in NOTIFY_URLS; returns how many were queued."""
    for name in apprise_targets():
        queue_message(
            event=event,
            recipient=name,
            subject=subject,
            body_text=body_text,
            channel=Message.Channel.APPRISE,
            dedupe_key=f"{dedupe_key}:{name}",
        )
    return len(apprise_targets())


def resend(messages: QuerySet[Message]) -> int:
    """Send these messages again (sent or failed ones too), with a fresh count of attempts; returns how many."""
    count = messages.update(status=Message.Status.PENDING, attempts=0, last_error="", next_attempt_at=timezone.now())
    if count:
        wake_worker()
    return count
