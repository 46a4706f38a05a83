"""Operational alerts to the admins: batches that stopped or failed, requests left waiting, drift."""

from datetime import date, datetime, timedelta
from functools import partial

from django.conf import settings

from alerts.messages import queue_admin_alert
from alerts.models import WorkerHeartbeat
from alerts.once import once
from alerts.tasks import ask_for_heartbeat
from ledger.models import ChangeBatch
from ledger.reconcile import find_drift, users_to_check
from outbox.sending import send_due_messages
from requests_app.models import CreditRequest

RECENT = timedelta(days=7)
DRIFT_NAMES_SHOWN = 10


def check_operations(now: datetime) -> list[str]:
    """Alert once per stopped or failed batch and per request waiting too long; returns what was alerted."""
    alerted = []
    recent = ChangeBatch.objects.filter(created_at__gte=now - RECENT)
    for batch in recent.stopped(now):
        if once("batch-stopped", str(batch.pk), lambda batch=batch: _batch_alert(batch, "stopped")):
            alerted.append(f"batch {batch.batch_id} stopped")
    for batch in recent.with_failed_rows().idle(now):
        if once("batch-failed", str(batch.pk), lambda batch=batch: _batch_alert(batch, "failed")):
            alerted.append(f"batch {batch.batch_id} has failed rows")
    waiting_since = now - timedelta(hours=settings.ALERT_REQUEST_WAITING_HOURS)
    waiting = CreditRequest.objects.filter(
        status=CreditRequest.Status.PENDING, is_duplicate=False, created_at__lt=waiting_since
    )
    for credit_request in waiting.order_by("created_at")[:50]:
        if once("request-waiting", str(credit_request.pk), lambda r=credit_request: _waiting_alert(r)):
            alerted.append(f"request {credit_request.pk} waiting")
    if _worker_silent(now):
        alerted.append("worker silent")
    ask_for_heartbeat()
    return alerted


def _worker_silent(now: datetime) -> bool:
    """Alert once per silence when the worker has run no heartbeat for ALERT_WORKER_SILENT_MINUTES.

    The worker sends the outbox, so this alert is sent from here (the scheduler's process) at once.
    """
    seen_at = WorkerHeartbeat.last_seen()
    if seen_at is None or now - seen_at < timedelta(minutes=settings.ALERT_WORKER_SILENT_MINUTES):
        return False
    minutes = round((now - seen_at).total_seconds() / 60)
    subject = f"The worker has not run for {minutes} minutes"
    text = (
        f"{subject} (last seen {seen_at:%Y-%m-%d %H:%M} UTC): large batches, imports and mail wait for it. "
        "Check the worker container or `manage.py ledger_worker`."
    )
    key = f"{seen_at:%Y%m%d%H%M%S}"
    alert = partial(queue_admin_alert, "alerts.worker_silent", subject, text, dedupe_key=f"worker-silent:{key}")
    if not once("worker-silent", key, alert):
        return False
    send_due_messages()
    return True


def _batch_alert(batch: ChangeBatch, what: str) -> int:
    progress = batch.progress()
    if what == "stopped":
        subject = f"Credit batch {batch.batch_id} stopped before the end"
        reason = f"Why: {batch.stopped_reason}\n"
    else:
        subject = f"Credit batch {batch.batch_id} has failed rows"
        reason = ""
    text = (
        f"{subject}.\n{reason}Applied {progress['applied']}, failed {progress['failed']}, "
        f"pending {progress['pending']}. See the history in the admin for each row."
    )
    return queue_admin_alert(f"alerts.batch_{what}", subject, text, dedupe_key=f"batch-{what}:{batch.pk}")


def _waiting_alert(credit_request: CreditRequest) -> int:
    hours = settings.ALERT_REQUEST_WAITING_HOURS
    subject = f"A credit request has waited more than {hours} hours"
    text = f"Credit request #{credit_request.pk} from {credit_request.email} is still pending."
    return queue_admin_alert("alerts.request_waiting", subject, text, dedupe_key=f"request-waiting:{credit_request.pk}")


def check_drift(day: date) -> int:
    """The daily drift check over the users active since yesterday; alerts when any drift; returns how many."""
    drifted = list(find_drift(users_to_check(since=day - timedelta(days=1))))
    if drifted:
        names = ", ".join(drift.email for drift in drifted[:DRIFT_NAMES_SHOWN])
        more = f" and {len(drifted) - DRIFT_NAMES_SHOWN} more" if len(drifted) > DRIFT_NAMES_SHOWN else ""
        subject = f"Drift: {len(drifted)} balances disagree with their LibreChat history"
        text = f"{subject}: {names}{more}.\nRun `manage.py reconcile_balances` to see them and fix the history."
        queue_admin_alert("alerts.drift", subject, text, dedupe_key=f"drift:{day.isoformat()}")
    return len(drifted)
