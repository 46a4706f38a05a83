"""Approve, reject, expire and re-credit credit requests: one code path for mail links and the admin.

A decision is a conditional UPDATE from "pending", so among any number of simultaneous clicks
exactly one wins; only the winner credits, through the ledger, with a batch id derived from the
request, so even a retry after a failure never credits twice.
"""

import logging
from datetime import timedelta

from bson import ObjectId
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from pymongo.errors import PyMongoError

from ledger.changes import Kind, LedgerError, Target, change_one, targets_for_emails
from ledger.models import ChangeBatch
from librechat.credits import format_credits_and_usd, parse_credits
from librechat.mongo import connection_failure_behind
from requests_app import mail
from requests_app.models import CreditRequest

log = logging.getLogger(__name__)
Status = CreditRequest.Status
Crediting = CreditRequest.Crediting
# A crediting that has not finished after this long was interrupted (a worker died): retry may resume it.
STUCK_AFTER = timedelta(minutes=5)


class DecisionRefused(Exception):
    """The request cannot be decided this way; the message says why, for the person who tried."""


def approve(
    credit_request: CreditRequest,
    *,
    amount_credits: int,
    decided_by: str,
    channel: str,
    allow_duplicate: bool = False,
) -> CreditRequest:
    """Approve a pending request and credit the user once; raises DecisionRefused if it is not pending.

    A request flagged duplicate is approved only with `allow_duplicate`: the one it duplicates
    asks for the same credits, and approving both would credit the user twice.
    """
    try:
        amount_credits = parse_credits(amount_credits, minimum_credits=1)
    except ValidationError as exc:  # e.g. a link signed before MAX_CREDIT_AMOUNT was lowered
        raise DecisionRefused(" ".join(exc.messages)) from exc
    credit_request.refresh_from_db()
    if credit_request.status != Status.PENDING:
        raise DecisionRefused(already_decided(credit_request))
    if credit_request.is_duplicate and not allow_duplicate:
        raise DecisionRefused(
            "This request was sent while another request of the same email was pending (a duplicate): "
            "decide that one, or approve duplicates explicitly."
        )
    target = _target(credit_request)
    won = CreditRequest.objects.filter(pk=credit_request.pk, status=Status.PENDING).update(
        status=Status.APPROVED,
        amount_granted_credits=amount_credits,
        decided_by=decided_by,
        decided_at=timezone.now(),
        channel=channel,
        batch_id=credit_request.ledger_batch_id,
        crediting=Crediting.CREDITING,
        crediting_started_at=timezone.now(),
        librechat_user_id=str(target.user_id),
    )
    credit_request.refresh_from_db()
    if not won:
        raise DecisionRefused(already_decided(credit_request))
    log_decision(credit_request)
    close_duplicates(credit_request)
    _credit(credit_request, target)
    return credit_request


def reject(credit_request: CreditRequest, *, note: str, decided_by: str, channel: str) -> CreditRequest:
    """Reject a pending request and tell the requester (if a LibreChat user); raises DecisionRefused if not pending."""
    won = CreditRequest.objects.filter(pk=credit_request.pk, status=Status.PENDING).update(
        status=Status.REJECTED, decision_note=note, decided_by=decided_by, decided_at=timezone.now(), channel=channel
    )
    credit_request.refresh_from_db()
    if not won:
        raise DecisionRefused(already_decided(credit_request))
    log_decision(credit_request)
    close_duplicates(credit_request)
    mail.notify_requester(credit_request)
    return credit_request


def close_duplicates(decided: CreditRequest) -> int:
    """Reject, with a note and without mail, the pending duplicates of a request that was just decided.

    They asked for what the decided request asked for; left pending, approving them later would
    credit the user again. Returns how many were closed.
    """
    if decided.is_duplicate:
        return 0
    duplicates = CreditRequest.objects.filter(email=decided.email, status=Status.PENDING, is_duplicate=True)
    closed = duplicates.exclude(pk=decided.pk).update(
        status=Status.REJECTED,
        decision_note=f"Closed as a duplicate of request {decided.pk} ({decided.status} by {decided.decided_by}).",
        decided_by=decided.decided_by,
        decided_at=timezone.now(),
        channel=decided.channel,
    )
    if closed:
        log.info(
            "closed %s duplicates of credit request %s",
            closed,
            decided.pk,
            extra={"event": "credit_request_duplicates_closed", "request_id": decided.pk, "count": closed},
        )
    return closed


def retry_crediting(credit_request: CreditRequest) -> CreditRequest:
    """Credit an approved request whose crediting failed or was interrupted, with the same batch and amount."""
    credit_request.refresh_from_db()
    # Claimed with the start time seen, so of two simultaneous retries only one goes on.
    stuck = Q(crediting=Crediting.CREDITING, crediting_started_at__lt=timezone.now() - STUCK_AFTER)
    won = (
        CreditRequest.objects.filter(Q(crediting=Crediting.FAILED) | stuck, pk=credit_request.pk)
        .filter(status=Status.APPROVED, crediting_started_at=credit_request.crediting_started_at)
        .update(crediting=Crediting.CREDITING, crediting_error="", crediting_started_at=timezone.now())
    )
    credit_request.refresh_from_db()
    if not won:
        raise DecisionRefused(
            f"Request {credit_request.pk} has nothing to retry ({credit_request.get_crediting_display()})."
        )
    _credit(credit_request, Target(ObjectId(credit_request.librechat_user_id), credit_request.email))
    return credit_request


def expire_stale(older_than: timedelta, *, dry_run: bool = False) -> int:
    """Mark pending requests older than `older_than` expired; returns how many (would have)."""
    stale = CreditRequest.objects.filter(status=Status.PENDING, created_at__lt=timezone.now() - older_than)
    if dry_run:
        return stale.count()
    expired = stale.update(
        status=Status.EXPIRED,
        decided_at=timezone.now(),
        decided_by="expire_requests",
        channel=CreditRequest.Channel.EXPIRY,
    )
    log.info(
        "expired %s pending credit requests", expired, extra={"event": "credit_requests_expired", "count": expired}
    )
    return expired


def log_decision(credit_request: CreditRequest) -> None:
    """One log line per decision (JSON with LOG_FORMAT=json); the requester's free text stays in the table."""
    log.info(
        "credit request %s %s by %s",
        credit_request.pk,
        credit_request.status,
        credit_request.decided_by,
        extra={
            "event": "credit_request_decision",
            "request_id": credit_request.pk,
            "status": credit_request.status,
            "email": credit_request.email,
            "amount_granted_credits": credit_request.amount_granted_credits,
            "decided_by": credit_request.decided_by,
            "channel": credit_request.channel,
            "batch_id": credit_request.batch_id,
        },
    )


def already_decided(credit_request: CreditRequest) -> str:
    """What a later click is told: who decided and when, or that the request expired."""
    when = f"{timezone.localtime(credit_request.decided_at):%Y-%m-%d %H:%M %Z}" if credit_request.decided_at else ""
    if credit_request.status == Status.APPROVED:
        amount = format_credits_and_usd(credit_request.amount_granted_credits, " credits")
        return f"This request was already approved ({amount}) by {credit_request.decided_by} at {when}."
    if credit_request.status == Status.REJECTED:
        return f"This request was already rejected by {credit_request.decided_by} at {when}."
    if credit_request.status == Status.EXPIRED:
        return f"This request expired at {when} without a decision. Ask the requester to send a new one."
    return "This request is still pending."


def _target(credit_request: CreditRequest) -> Target:
    # Looked up again at decision time: the user may have signed up (or been removed) since the request.
    targets, unknown, ambiguous = targets_for_emails([credit_request.email])
    if unknown:
        raise DecisionRefused(f"No LibreChat user has the email {credit_request.email}: reject the request instead.")
    if ambiguous:
        raise DecisionRefused(
            f"Several LibreChat users have the email {credit_request.email}: top up the right one from the admin."
        )
    return targets[0]


def _credit(credit_request: CreditRequest, target: Target) -> None:
    try:
        change = change_one(
            target,
            kind=Kind.ADD,
            amount_credits=credit_request.amount_granted_credits,
            source=ChangeBatch.Source.REQUEST,
            actor=credit_request.decided_by[:150],
            reason=_ledger_reason(credit_request),
            batch_id=credit_request.batch_id,
        )
    except Exception as exc:
        if not isinstance(exc, LedgerError | PyMongoError) and connection_failure_behind(exc) is None:
            raise
        log.warning("Crediting request %s failed: %s", credit_request.pk, exc)
        _record_crediting(credit_request, Crediting.FAILED, str(exc) or exc.__class__.__name__)
        return
    if change.status != change.Status.APPLIED:
        _record_crediting(
            credit_request, Crediting.FAILED, f"ledger says {change.get_status_display()}: {change.error}"
        )
        return
    _record_crediting(credit_request, Crediting.CREDITED, "")
    mail.notify_requester(credit_request, balance_credits=change.after_credits)


def _record_crediting(credit_request: CreditRequest, crediting: str, error: str) -> None:
    credit_request.crediting, credit_request.crediting_error = crediting, error
    credit_request.save(update_fields=["crediting", "crediting_error"])


def _ledger_reason(credit_request: CreditRequest) -> str:
    parts = [f"credit request {credit_request.pk}"]
    if credit_request.reference:
        parts.append(f"reference {credit_request.reference}")
    if credit_request.reason:
        parts.append(credit_request.reason)
    return "; ".join(parts)
