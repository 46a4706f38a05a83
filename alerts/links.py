"""Signed links in alert mails: a user's unsubscribe link, and an admin's one-click "top up" link.

Django's signing keyed by WEBHOOK_SECRET, each kind with a salt of its own so no other signed value
of this site is accepted. A top-up link carries a nonce: its batch id is derived from it, so the
ledger applies one link at most once however often it is confirmed.
"""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from requests_app.links import absolute_url

UNSUBSCRIBE_SALT = "alerts.unsubscribe"
TOP_UP_SALT = "alerts.top-up"


class BadLink(Exception):
    """Tampered, truncated or signed for something else."""


class ExpiredLink(Exception):
    """Genuine but older than WEBHOOK_TTL_HOURS."""


@dataclass(frozen=True)
class TopUpLink:
    user_id: str
    email: str
    amount_credits: int
    recipient: str
    nonce: str

    @property
    def batch_id(self) -> str:
        return f"alert-{self.nonce}"


def unsubscribe_url(user_id: str, email: str) -> str:
    token = signing.dumps({"u": user_id, "e": email}, key=_key(), salt=UNSUBSCRIBE_SALT)
    return absolute_url(reverse("alerts:unsubscribe", args=[token]))


def read_unsubscribe(token: str) -> tuple[str, str]:
    """(user id, email) of a genuine unsubscribe link; they never expire."""
    payload = _loads(token, UNSUBSCRIBE_SALT, max_age=None)
    user_id, email = payload.get("u"), payload.get("e")
    if not (isinstance(user_id, str) and len(user_id) == 24 and isinstance(email, str)):
        raise BadLink("This link is not valid.")
    return user_id, email


def top_up_url(user_id: str, email: str, amount_credits: int, recipient: str) -> str:
    payload = {"u": user_id, "e": email, "c": amount_credits, "to": recipient, "n": secrets.token_urlsafe(12)}
    token = signing.dumps(payload, key=_key(), salt=TOP_UP_SALT)
    return absolute_url(reverse("alerts:top_up", args=[token]))


def read_top_up(token: str) -> TopUpLink:
    payload = _loads(token, TOP_UP_SALT, max_age=settings.WEBHOOK_TTL_HOURS * 3600)
    values = [payload.get(key) for key in ("u", "e", "c", "to", "n")]
    user_id, email, amount, recipient, nonce = values
    valid = (
        isinstance(user_id, str)
        and len(user_id) == 24
        and isinstance(email, str)
        and isinstance(amount, int)
        and not isinstance(amount, bool)
        and 0 < amount <= settings.MAX_CREDIT_AMOUNT
        and isinstance(recipient, str)
        and isinstance(nonce, str)
        and 8 <= len(nonce) <= 32
    )
    if not valid:
        raise BadLink("This link is not valid.")
    return TopUpLink(user_id, email, amount, recipient, nonce)


def _loads(token: str, salt: str, max_age: int | None) -> dict:
    try:
        payload = signing.loads(token, key=_key(), salt=salt, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise ExpiredLink("This link has expired.") from exc
    except (signing.BadSignature, ValueError, UnicodeError) as exc:
        raise BadLink("This link is not valid: it was changed or cut short.") from exc
    if not isinstance(payload, dict):
        raise BadLink("This link is not valid.")
    return payload


def _key() -> str:
    return settings.WEBHOOK_SECRET or settings.SECRET_KEY
