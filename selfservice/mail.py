"""Mails to LibreChat users about their statement: the sign-in link, or the note that no account uses the address.

Built in the language active when asked (the visitor's) and queued; the worker sends them.
"""

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import gettext

from outbox.queue import queue_message

SIGN_IN_EVENT = "selfservice.sign_in"


def sign_in_mail(url: str | None) -> tuple[str, str, str]:
    """(subject, text, html) of the answer to a sign-in ask: the link, or None for an address without an account."""
    context = {"url": url, "ttl_minutes": settings.ME_LINK_TTL_MINUTES}
    template = "sign_in_link" if url else "no_account"
    if url:
        subject = gettext("Your sign-in link for your LibreChat credits")
    else:
        subject = gettext("LibreChat credits: no account found")
    text = render_to_string(f"selfservice/mail/{template}.txt", context)
    html = render_to_string(f"selfservice/mail/{template}.html", context)
    return subject, text, html


def queue_sign_in_mail(email: str, url: str | None, reference: str) -> None:
    subject, text, html = sign_in_mail(url)
    # The outbox's admin list shows recipients and subjects, never bodies: the link stays private.
    queue_message(
        event=SIGN_IN_EVENT, recipient=email, subject=subject, body_text=text, body_html=html, reference=reference
    )
