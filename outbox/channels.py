"""How a message leaves on each channel. A sender raises on failure; the outbox records and retries.

Chat and webhook targets are Apprise URLs in NOTIFY_URLS, each as `name=url` (or a bare URL, named
after its scheme and position). A queued message names its target; the URL, which holds the
target's token, is looked up only when sending, so it is never stored, shown or logged.
"""

import base64
import re
from collections.abc import Callable
from urllib.parse import urlsplit

import apprise
from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from outbox.models import Message


def send_email(message: Message) -> None:
    email = EmailMultiAlternatives(message.subject, message.body_text, settings.DEFAULT_FROM_EMAIL, [message.recipient])
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments:
        content = base64.b64decode(attachment["content_base64"])
        email.attach(attachment["filename"], content, attachment["mimetype"])
    email.send()


class ChannelError(Exception):
    """A chat or webhook target refused the message, or is no longer configured."""


_NAMED = re.compile(r"^([A-Za-z0-9_.-]{1,40})=(.+)$")


def apprise_targets() -> dict[str, str]:
    """{name: Apprise URL} from NOTIFY_URLS."""
    targets = {}
    for position, entry in enumerate(settings.NOTIFY_URLS, start=1):
        named = _NAMED.match(entry)
        if named and "://" not in named.group(1):
            name, url = named.groups()
        else:
            name, url = f"{urlsplit(entry).scheme or 'url'}-{position}", entry
        targets[name] = url
    return targets


def masked(url: str) -> str:
    """A target's URL without its secrets: the service and host only (`slack://…`, `json://hooks.example.com/…`)."""
    parts = urlsplit(url)
    host = parts.hostname if parts.scheme in ("json", "jsons", "form", "forms", "xml", "xmls") else ""
    return f"{parts.scheme}://{host or ''}…"


def invalid_targets() -> list[str]:
    """Names of NOTIFY_URLS entries that Apprise cannot parse (checked at start-up)."""
    return [name for name, url in apprise_targets().items() if apprise.Apprise.instantiate(url) is None]


def send_apprise(message: Message) -> None:
    url = apprise_targets().get(message.recipient)
    if url is None:
        raise ChannelError(f"No NOTIFY_URLS target named {message.recipient!r} any more.")
    notifier = apprise.Apprise()
    if not notifier.add(url):
        raise ChannelError(f"Apprise cannot use the URL of target {message.recipient!r} ({masked(url)}).")
    if not notifier.notify(title=message.subject, body=message.body_text, body_format=apprise.NotifyFormat.TEXT):
        # Apprise logs the cause itself and reports only success; its log lines hold no token.
        raise ChannelError(f"Target {message.recipient!r} ({masked(url)}) did not accept the message.")


SENDERS: dict[str, Callable[[Message], None]] = {
    Message.Channel.EMAIL: send_email,
    Message.Channel.APPRISE: send_apprise,
}
