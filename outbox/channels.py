"""How a message leaves on each channel. A sender raises on failure; the outbox records and retries."""

from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from outbox.models import Message


def send_email(message: Message) -> None:
    email = EmailMultiAlternatives(message.subject, message.body_text, settings.DEFAULT_FROM_EMAIL, [message.recipient])
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    email.send()


SENDERS: dict[str, Callable[[Message], None]] = {Message.Channel.EMAIL: send_email}
