"""Every mail about credit requests: the admin notification with its signed buttons, and the requester's answer.

Mails are queued in the outbox and sent by the worker, never inside a web request; the worker's
outcome comes back through `record_outcome` onto the request's notified/notify_error fields.
Each mail has a plain-text and an HTML part. Anything the requester typed is untrusted: the HTML
templates escape it, the plain part quotes it line by line without control characters, and the
subject holds only a single cleaned line.
"""

import re
from datetime import timedelta

from bson import ObjectId
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from pymongo.errors import PyMongoError

from librechat.credits import format_credits, format_credits_and_usd, format_usd
from librechat.mongo import connection_failure_behind, describe_mongo_error, librechat_db
from librechat.queries import earliest_balances, spending_by_user
from outbox.models import Message
from outbox.queue import queue_message, resend
from requests_app import links
from requests_app.models import CreditRequest

SPEND_WINDOW = timedelta(days=30)
ADMIN_EVENT = "credit_request.admin"
REQUESTER_EVENT = "credit_request.requester"
# Which fields of the request hold the outcome of each event's messages.
OUTCOME_FIELDS = {
    ADMIN_EVENT: ("notified_at", "notify_error"),
    REQUESTER_EVENT: ("requester_notified_at", "requester_notify_error"),
}
_REFERENCE_PREFIX = "credit_request:"
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_SUBJECT_LENGTH = 120


class LibreChatUnavailable(Exception):
    """The admin mail needs the requester's balance and spend, and LibreChat's MongoDB did not answer."""


def admins_should_hear_of(credit_request: CreditRequest) -> bool:
    """Pending requests of a LibreChat user that are not a repeat of one already mailed."""
    return (
        credit_request.status == CreditRequest.Status.PENDING
        and bool(credit_request.librechat_user_id)
        and not credit_request.is_duplicate
    )


def notify_admins(credit_request: CreditRequest, *, again: bool = False) -> int:
    """Queue one mail per NOTIFY_TO address, each with its own signed buttons; returns how many.

    Each address is queued once per request; `again` sends the queued ones again.
    Raises LibreChatUnavailable (recorded on the request) when MongoDB does not answer.
    """
    if not settings.NOTIFY_TO:
        _record(credit_request, "notify_error", "NOTIFY_TO is empty: no admin was mailed.")
        return 0
    try:
        context = admin_mail_context(credit_request)
    except Exception as exc:
        if not isinstance(exc, PyMongoError) and connection_failure_behind(exc) is None:
            raise
        _record(credit_request, "notify_error", f"LibreChat's MongoDB: {describe_mongo_error(exc)}")
        raise LibreChatUnavailable from exc
    subject = one_line(f"Credit request from {credit_request.email}" + _reference_suffix(credit_request))
    keys = [f"{_reference(credit_request)}:admin:{recipient}" for recipient in settings.NOTIFY_TO]
    for recipient, key in zip(settings.NOTIFY_TO, keys, strict=True):
        buttons = decision_buttons(credit_request, recipient)
        mail_context = {**context, **buttons, "recipient": recipient}
        _queue(ADMIN_EVENT, credit_request, recipient, subject, "admin_request", mail_context, dedupe_key=key)
    if again:
        resend(Message.objects.filter(dedupe_key__in=keys))
    return len(keys)


def notify_requester(credit_request: CreditRequest, balance_credits: float | None = None) -> bool:
    """Queue the decision for a known LibreChat user; unknown emails are never mailed."""
    if not settings.REQUEST_NOTIFY_REQUESTER or not credit_request.librechat_user_id:
        return False
    approved = credit_request.status == CreditRequest.Status.APPROVED
    context = {
        "credit_request": credit_request,
        "granted": format_credits(credit_request.amount_granted_credits),
        "granted_usd": format_usd(credit_request.amount_granted_credits),
        "balance": None if balance_credits is None else format_credits(balance_credits),
        "balance_usd": format_usd(balance_credits),
        "note_lines": quoted_lines(credit_request.decision_note),
    }
    template = "requester_approved" if approved else "requester_rejected"
    key = f"{_reference(credit_request)}:requester:{credit_request.status}"
    # In the language the requester used on the page, whoever decides and in whatever language.
    with translation.override(credit_request.language or settings.LANGUAGE_CODE):
        if approved:
            subject = gettext("Your credit request was approved")
        else:
            subject = gettext("Your credit request was not approved")
        _queue(REQUESTER_EVENT, credit_request, credit_request.email, subject, template, context, dedupe_key=key)
    return True


def record_outcome(message: Message) -> None:
    """After each send attempt of a request's mail: "sent" once all went out, else what failed (connected in apps)."""
    if message.event not in OUTCOME_FIELDS or not message.reference.startswith(_REFERENCE_PREFIX):
        return
    sent_field, error_field = OUTCOME_FIELDS[message.event]
    siblings = list(Message.objects.filter(event=message.event, reference=message.reference))
    errors = [
        f"{sibling.recipient}: {sibling.last_error}"
        + (" (trying again)" if sibling.status == Message.Status.PENDING else "")
        for sibling in siblings
        if sibling.status != Message.Status.SENT and sibling.last_error
    ]
    all_sent = all(sibling.status == Message.Status.SENT for sibling in siblings)
    request_pk = int(message.reference.removeprefix(_REFERENCE_PREFIX))
    CreditRequest.objects.filter(pk=request_pk).update(
        **{
            sent_field: max(sibling.sent_at for sibling in siblings) if all_sent else None,
            error_field: "\n".join(errors),
        }
    )


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
        # Anyone may type any email: other pending requests for it (from other addresses, each mailed)
        # let the admin see that not every one may come from the owner.
        "other_pending": CreditRequest.objects.filter(email=credit_request.email, status=CreditRequest.Status.PENDING)
        .exclude(pk=credit_request.pk)
        .count(),
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


def _reference(credit_request: CreditRequest) -> str:
    return f"{_REFERENCE_PREFIX}{credit_request.pk}"


def _queue(
    event: str,
    credit_request: CreditRequest,
    recipient: str,
    subject: str,
    template: str,
    context: dict,
    *,
    dedupe_key: str,
) -> None:
    queue_message(
        event=event,
        recipient=recipient,
        subject=subject,
        body_text=render_to_string(f"requests_app/mail/{template}.txt", context),
        body_html=render_to_string(f"requests_app/mail/{template}.html", context),
        reference=_reference(credit_request),
        dedupe_key=dedupe_key,
    )


def _record(credit_request: CreditRequest, error_field: str, error: str) -> None:
    setattr(credit_request, error_field, error)
    credit_request.save(update_fields=[error_field])
