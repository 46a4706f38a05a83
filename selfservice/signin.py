"""Sign-in by email link and the /me/ session cookie.

A link is Django's signing (HMAC with a timestamp, salted for this use only) over the email and a
nonce stored in SignInLink; redeeming claims the nonce with a conditional UPDATE, so a link works
once even when opened twice at the same moment. The session is a row of its own, named by a signed
cookie limited to /me/: it is not Django's session cookie, so it never opens the admin, and the
admin's session never opens a statement.
"""

import secrets
from datetime import timedelta

from bson import ObjectId
from django.conf import settings
from django.core import signing
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from ledger.changes import targets_for_emails
from requests_app.links import absolute_url
from selfservice import mail
from selfservice.models import SignInLink, StatementSession
from web.ratelimit import seconds_until_allowed

LINK_SALT = "selfservice.sign-in-link"
COOKIE_SALT = "selfservice.session"
COOKIE_NAME = "me_session"
HOUR_SECONDS = 3600


class BadLink(Exception):
    """Tampered, cut short, made for another address, or for an address with no account."""


class ExpiredLink(Exception):
    """Genuine but older than ME_LINK_TTL_MINUTES."""


class UsedLink(Exception):
    """Genuine, but it already signed someone in."""


def seconds_until_ip_allowed(ip: str) -> int:
    return seconds_until_allowed(
        f"me-ip:{ip}", limit=settings.ME_RATE_LIMIT_PER_IP_PER_HOUR, window_seconds=HOUR_SECONDS
    )


def seconds_until_email_allowed(email: str) -> int:
    return seconds_until_allowed(
        f"me-email:{email}", limit=settings.ME_RATE_LIMIT_PER_EMAIL_PER_HOUR, window_seconds=HOUR_SECONDS
    )


def send_sign_in_link(email: str) -> SignInLink:
    """Record the ask and queue one mail to `email`: a link for a LibreChat user, else a "no account" note.

    Known and unknown addresses cost the same (one lookup, one row, one queued mail), so neither the
    page nor its timing tells who has an account; only the owner of the address reads the answer.
    """
    targets, _unknown, _ambiguous = targets_for_emails([email])
    with transaction.atomic():
        link = SignInLink.objects.create(
            nonce=secrets.token_urlsafe(32), email=email, librechat_user_id=str(targets[0].user_id) if targets else ""
        )
        url = link_url(link) if link.librechat_user_id else None
        mail.queue_sign_in_mail(email, url, reference=f"sign_in_link:{link.pk}")
    return link


def link_url(link: SignInLink) -> str:
    token = signing.dumps({"e": link.email, "n": link.nonce}, salt=LINK_SALT)
    return absolute_url(reverse("selfservice:link", args=[token]))


def check_link(token: str) -> SignInLink:
    """The unused link a token stands for; raises BadLink, ExpiredLink or UsedLink."""
    try:
        payload = signing.loads(token, salt=LINK_SALT, max_age=settings.ME_LINK_TTL_MINUTES * 60)
    except signing.SignatureExpired as exc:
        raise ExpiredLink from exc
    except (signing.BadSignature, ValueError, UnicodeError) as exc:
        raise BadLink from exc
    if not isinstance(payload, dict) or not all(isinstance(payload.get(key), str) for key in ("e", "n")):
        raise BadLink
    link = SignInLink.objects.filter(nonce=payload["n"], email=payload["e"]).exclude(librechat_user_id="").first()
    if link is None:
        raise BadLink
    if link.used_at is not None:
        raise UsedLink
    return link


def redeem_link(token: str) -> StatementSession:
    """Use a link once and open a session for its user (who must still have the link's address)."""
    link = check_link(token)
    # Looked up before the link is used up, so an unreachable LibreChat leaves it working.
    targets, _unknown, _ambiguous = targets_for_emails([link.email])
    if not targets or str(targets[0].user_id) != link.librechat_user_id:
        raise BadLink
    if not SignInLink.objects.filter(pk=link.pk, used_at=None).update(used_at=timezone.now()):
        raise UsedLink  # another request claimed it a moment ago
    return start_session(targets[0].user_id, link.email)


def start_session(user_id: ObjectId, email: str) -> StatementSession:
    now = timezone.now()
    # Old rows go as new ones come: the table holds about a day of sessions and links.
    StatementSession.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    SignInLink.objects.filter(created_at__lt=now - timedelta(days=1)).delete()
    return StatementSession.objects.create(
        key=secrets.token_urlsafe(32),
        librechat_user_id=str(user_id),
        email=email,
        expires_at=now + timedelta(hours=settings.ME_SESSION_HOURS),
    )


def current_session(request: HttpRequest) -> StatementSession | None:
    key = request.get_signed_cookie(
        COOKIE_NAME, default=None, salt=COOKIE_SALT, max_age=settings.ME_SESSION_HOURS * HOUR_SECONDS
    )
    if not key:
        return None
    return StatementSession.objects.filter(key=key, expires_at__gt=timezone.now()).first()


def end_session(request: HttpRequest) -> None:
    if session := current_session(request):
        session.delete()


def set_session_cookie(request: HttpRequest, response: HttpResponse, session: StatementSession) -> None:
    response.set_signed_cookie(
        COOKIE_NAME,
        session.key,
        salt=COOKIE_SALT,
        max_age=settings.ME_SESSION_HOURS * HOUR_SECONDS,
        path=cookie_path(),
        secure=request.is_secure() or settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def delete_session_cookie(response: HttpResponse) -> None:
    response.delete_cookie(COOKIE_NAME, path=cookie_path(), samesite="Lax")


def cookie_path() -> str:
    # With the path prefix (BASE_PATH or the WSGI server's SCRIPT_NAME), as the browser sees it.
    return reverse("selfservice:statement")
