"""Taking in a request from the public page: rate limits, the record, the rest handed to the worker.

The page must not tell who has an account, not even by its timing: every request does the same
work here (one row, one task) and none in LibreChat's MongoDB; the worker looks the email up and
decides whether the admins are mailed (requests_app.tasks).

Limits and duplicates are counted per client address and email, never per email alone: a stranger
posting for someone else's email uses up only their own address's allowance, and the owner's own
request, from their address, still reaches the admins while the stranger's is pending.
"""

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import get_language

from requests_app.models import CreditRequest
from requests_app.tasks import identify_and_notify_admins
from web.ratelimit import seconds_until_allowed

HOUR_SECONDS = 3600


def seconds_until_ip_allowed(ip: str) -> int:
    return seconds_until_allowed(
        f"request-ip:{ip}", limit=settings.REQUEST_RATE_LIMIT_PER_IP_PER_HOUR, window_seconds=HOUR_SECONDS
    )


def seconds_until_email_allowed(email: str, ip: str) -> int:
    return seconds_until_allowed(
        f"request-email:{ip}:{email}", limit=settings.REQUEST_RATE_LIMIT_PER_EMAIL_PER_HOUR, window_seconds=HOUR_SECONDS
    )


def record_request(
    *,
    email: str,
    reference: str,
    amount_wished_credits: int | None,
    reason: str,
    client_ip: str,
    email_verified: bool = False,
) -> CreditRequest:
    """Store a request and have the worker mail the admins if the email is known and not a duplicate.

    The requester is told the same in every case, so the page never reveals who has an account.
    `email_verified`: sent by a user signed in to /me/ with a link mailed to `email`. The request
    keeps the active language, for the mails that answer it.
    """
    credit_request = CreditRequest(
        email=email,
        reference=reference,
        amount_wished_credits=amount_wished_credits,
        reason=reason,
        client_ip=client_ip or None,
        is_duplicate=has_pending_request(email, client_ip),
        email_verified=email_verified,
        language=get_language() or "",
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                credit_request.save()
        except IntegrityError:  # the same address sent a request for this email in the meantime, and it is mailed
            credit_request.is_duplicate = True
            credit_request.save()
        identify_and_notify_admins.enqueue(credit_request.pk)
    return credit_request


def has_pending_request(email: str, client_ip: str | None) -> bool:
    """A pending request from this address for this email is already mailed (or will be)."""
    pending = CreditRequest.objects.filter(email=email, status=CreditRequest.Status.PENDING, is_duplicate=False)
    return pending.filter(client_ip=client_ip or None).exists()
