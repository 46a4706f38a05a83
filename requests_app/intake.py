"""Taking in a request from the public page: rate limits, the record, the admin mail."""

from django.conf import settings
from django.db import IntegrityError, transaction

from ledger.changes import targets_for_emails
from requests_app import mail
from requests_app.models import CreditRequest
from web.ratelimit import seconds_until_allowed

HOUR_SECONDS = 3600


def seconds_until_ip_allowed(ip: str) -> int:
    return seconds_until_allowed(
        f"request-ip:{ip}", limit=settings.REQUEST_RATE_LIMIT_PER_IP_PER_HOUR, window_seconds=HOUR_SECONDS
    )


def seconds_until_email_allowed(email: str) -> int:
    return seconds_until_allowed(
        f"request-email:{email}", limit=settings.REQUEST_RATE_LIMIT_PER_EMAIL_PER_HOUR, window_seconds=HOUR_SECONDS
    )


def record_request(
    *, email: str, reference: str, amount_wished_credits: int | None, reason: str, client_ip: str
) -> CreditRequest:
    """Store a request and mail the admins, unless the email is unknown or already has one pending.

    The requester is told the same in every case, so the page never reveals who has an account.
    """
    targets, _unknown, _ambiguous = targets_for_emails([email])
    credit_request = CreditRequest(
        email=email,
        librechat_user_id=str(targets[0].user_id) if targets else "",
        reference=reference,
        amount_wished_credits=amount_wished_credits,
        reason=reason,
        client_ip=client_ip or None,
        is_duplicate=has_pending_request(email),
    )
    try:
        with transaction.atomic():
            credit_request.save()
    except IntegrityError:  # a request from the same email was stored in the meantime, and is mailed
        credit_request.is_duplicate = True
        credit_request.save()
    if credit_request.librechat_user_id and not credit_request.is_duplicate:
        mail.notify_admins(credit_request)
    return credit_request


def has_pending_request(email: str) -> bool:
    return CreditRequest.objects.filter(email=email, status=CreditRequest.Status.PENDING).exists()
