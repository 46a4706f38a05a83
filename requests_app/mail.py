"""Every mail about credit requests: the admin notification with its signed buttons, and the requester's answer.

Each mail has a plain-text and an HTML part. Anything the requester typed is untrusted: the HTML
templates escape it, the plain part quotes it line by line without control characters, and the
subject holds only a single cleaned line.
"""

import logging
import re
from datetime import timedelta

from bson import ObjectId
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from pymongo.errors import PyMongoError

from librechat.credits import format_credits_and_usd, format_usd
from librechat.mongo import connection_failure_behind, describe_mongo_error, librechat_db
from librechat.queries import earliest_balances, spending_by_user
from requests_app import links
from requests_app.models import CreditRequest

log = logging.getLogger(__name__)
SPEND_WINDOW = timedelta(days=30)
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_SUBJECT_LENGTH = 120


def notify_admins(credit_request: CreditRequest) -> bool:
    """Mail each NOTIFY_TO address its own signed buttons; the outcome is recorded on the request."""
    if not settings.NOTIFY_TO:
        return _record(credit_request, "notified_at", "notify_error", ["NOTIFY_TO is empty: no admin was mailed."])
    try:
        context = admin_mail_context(credit_request)
    except Exception as exc:
        if not isinstance(exc, PyMongoError) and connection_failure_behind(exc) is None:
            raise
        return _record(
            credit_request, "notified_at", "notify_error", [f"LibreChat's MongoDB: {describe_mongo_error(exc)}"]
        )
    subject = one_line(f"Credit request from {credit_request.email}" + _reference_suffix(credit_request))
    errors = []
    for recipient in settings.NOTIFY_TO:
        buttons = decision_buttons(credit_request, recipient)
        error = _send(subject, "admin_request", {**context, **buttons, "recipient": recipient}, recipient)
        if error:
            errors.append(f"{recipient}: {error}")
    return _record(credit_request, "notified_at", "notify_error", errors)


def notify_requester(credit_request: CreditRequest, balance_credits: float | None = None) -> bool:
    """Tell a known LibreChat user the decision; unknown emails are never mailed."""
    if not settings.REQUEST_NOTIFY_REQUESTER or not credit_request.librechat_user_id:
        return False
    approved = credit_request.status == CreditRequest.Status.APPROVED
    context = {
        "credit_request": credit_request,
        "granted": format_credits_and_usd(credit_request.amount_granted_credits, " credits"),
        "balance": None if balance_credits is None else format_credits_and_usd(balance_credits, " credits"),
        "note_lines": quoted_lines(credit_request.decision_note),
    }
    subject = "Your credit request was approved" if approved else "Your credit request was not approved"
    template = "requester_approved" if approved else "requester_rejected"
    error = _send(subject, template, context, credit_request.email)
    return _record(credit_request, "requester_notified_at", "requester_notify_error", [error] if error else [])


def admin_mail_context(credit_request: CreditRequest) -> dict:
    """Who asked, their balance and recent spend, and what they wrote."""
    user_id = ObjectId(credit_request.librechat_user_id)
    user = librechat_db().users.find_one({"_id": user_id}, {"name": 1}) or {}
    balance = earliest_balances([user_id]).get(user_id)
    spend = spending_by_user([user_id], since=timezone.now() - SPEND_WINDOW).get(user_id)
    admin_path = reverse("admin:requests_app_creditrequest_change", args=[credit_request.pk])
    return {
        "credit_request": credit_request,
        "name": one_line(user.get("name") or ""),
        "balance": "no balance yet" if balance is None else format_credits_and_usd(balance.get("tokenCredits", 0)),
        "spent_30_days": format_usd(spend.spent_credits if spend else 0),
        "reference_label": settings.REQUEST_REFERENCE_LABEL,
        "reference": one_line(credit_request.reference),
        "reason_lines": quoted_lines(credit_request.reason),
        "admin_url": links.absolute_url(admin_path),
        "ttl_hours": settings.WEBHOOK_TTL_HOURS,
    }


def decision_buttons(credit_request: CreditRequest, recipient: str) -> dict:
    """The signed links of one recipient's mail: one per preset, custom amount, reject."""
    presets = [
        (format_credits_and_usd(amount), links.link_url(credit_request, links.APPROVE, recipient, amount))
        for amount in settings.REQUEST_APPROVE_PRESETS_CREDITS
    ]
    return {
        "approve_buttons": presets,
        "custom_url": links.link_url(credit_request, links.CUSTOM, recipient),
        "reject_url": links.link_url(credit_request, links.REJECT, recipient),
    }


def one_line(text: str, limit: int = _SUBJECT_LENGTH) -> str:
    """Text safe for a header or a single line: no control characters or line breaks, bounded length."""
    cleaned = " ".join(_CONTROL_CHARACTERS.sub(" ", text).split())
    return cleaned if len(cleaned) <= limit else f"{cleaned[: limit - 1]}…"


def quoted_lines(text: str) -> list[str]:
    """Lines of free text without control characters, for quoting ("> ...") in a plain-text mail."""
    return [_CONTROL_CHARACTERS.sub(" ", line).rstrip() for line in text.splitlines()]


def _reference_suffix(credit_request: CreditRequest) -> str:
    return f" ({credit_request.reference})" if credit_request.reference else ""


def _send(subject: str, template: str, context: dict, recipient: str) -> str:
    """Send one mail; returns "" or the error (any backend's: SMTP, network, a provider's API)."""
    text = render_to_string(f"requests_app/mail/{template}.txt", context)
    html = render_to_string(f"requests_app/mail/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [recipient])
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    # Backends raise what they like (smtplib, socket, anymail's API errors): a failed send must be
    # recorded and the request kept, whatever the cause.
    except Exception as exc:
        log.exception("Mail %r to %s failed", subject, recipient)
        return f"{exc.__class__.__name__}: {exc}"
    return ""


def _record(credit_request: CreditRequest, sent_field: str, error_field: str, errors: list[str]) -> bool:
    setattr(credit_request, sent_field, None if errors else timezone.now())
    setattr(credit_request, error_field, "\n".join(errors))
    credit_request.save(update_fields=[sent_field, error_field])
    return not errors
