"""Signed one-click links in the admin mail: one request, one action and amount, one recipient, a few days.

The token is Django's signing (HMAC-SHA256 with a timestamp) keyed by WEBHOOK_SECRET, with a salt
of its own so no other signed value of this site is ever accepted as a link.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import get_script_prefix, reverse

from requests_app.models import CreditRequest

SALT = "requests_app.decision-link"
APPROVE = "approve"
CUSTOM = "custom"
REJECT = "reject"
ACTIONS = (APPROVE, CUSTOM, REJECT)


@dataclass(frozen=True)
class Link:
    request_id: int
    action: str
    amount_credits: int | None
    recipient: str


class BadLink(Exception):
    """Tampered, truncated, signed for something else, or not matching the URL it came in."""


class ExpiredLink(Exception):
    """Genuine but older than WEBHOOK_TTL_HOURS."""

    def __init__(self, link: Link):
        super().__init__("This link has expired.")
        self.link = link


def link_url(credit_request: CreditRequest, action: str, recipient: str, amount_credits: int | None = None) -> str:
    """The absolute URL of a decision link for one admin, on WEBHOOK_BASE_URL."""
    token = signing.dumps(
        {"r": credit_request.pk, "a": action, "c": amount_credits, "to": recipient}, key=_key(), salt=SALT
    )
    path = reverse("requests_app:decide", args=[credit_request.pk, action, token])
    return absolute_url(path)


def absolute_url(path: str) -> str:
    """WEBHOOK_BASE_URL joined with a path from reverse(), whatever prefix this process is mounted under."""
    relative = path.removeprefix(get_script_prefix())
    base = settings.WEBHOOK_BASE_URL or "http://127.0.0.1:8000"
    return f"{base.rstrip('/')}/{relative.lstrip('/')}"


def read_link(request_id: int, action: str, token: str) -> Link:
    """The link a token stands for, checked against the request id and action in its URL."""
    try:
        payload = signing.loads(token, key=_key(), salt=SALT, max_age=settings.WEBHOOK_TTL_HOURS * 3600)
        expired = False
    except signing.SignatureExpired:
        payload = signing.loads(token, key=_key(), salt=SALT)
        expired = True
    except (signing.BadSignature, ValueError, UnicodeError) as exc:
        raise BadLink("This link is not valid: it was changed or cut short.") from exc
    link = _link_from(payload)
    if (link.request_id, link.action) != (request_id, action):
        raise BadLink("This link does not belong to this request or action.")
    if expired:
        raise ExpiredLink(link)
    return link


def _link_from(payload: object) -> Link:
    if not isinstance(payload, dict):
        raise BadLink("This link is not valid.")
    request_id, action, amount, recipient = (payload.get(key) for key in ("r", "a", "c", "to"))
    valid = (
        isinstance(request_id, int)
        and action in ACTIONS
        and isinstance(recipient, str)
        and (isinstance(amount, int) if action == APPROVE else amount is None)
    )
    if not valid:
        raise BadLink("This link is not valid.")
    return Link(request_id, action, amount, recipient)


def _key() -> str:
    # DEBUG-only fallback: with DEBUG off the settings refuse to start without WEBHOOK_SECRET.
    return settings.WEBHOOK_SECRET or settings.SECRET_KEY
