"""Operational alerts to the admin channels: each stopped or failed batch, waiting request and drifted day once."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from alerts.models import WorkerHeartbeat
from alerts.schedule import run_due
from alerts.tasks import worker_heartbeat
from ledger.changes import Kind, Target, open_batch
from ledger.models import BalanceChange, ChangeBatch
from librechat.mongo import librechat_db
from librechat.testing import create_user
from outbox.models import Message
from requests_app.models import CreditRequest

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


@pytest.fixture(autouse=True)
def alert_settings(settings):
    settings.LOW_BALANCE_THRESHOLDS = []
    settings.NOTIFY_TO = ["ops@example.com"]
    settings.NOTIFY_URLS = []
    settings.REPORT_SCHEDULE = []
    settings.ALERT_DIGEST_HOUR_UTC = 0
    settings.ALERT_REQUEST_WAITING_HOURS = 24


def alerts(event: str) -> list[Message]:
    return list(Message.objects.filter(event=event))


def a_batch(mongo) -> ChangeBatch:
    alice = create_user("alice@example.com", 10)
    return open_batch(
        kind=Kind.ADD, amount_credits=5, source="cli", actor="ops", targets=[Target(alice, "alice@example.com")]
    )


def test_a_batch_stopped_by_mongodb_errors_is_alerted_once(mongo):
    batch = a_batch(mongo)
    ChangeBatch.objects.filter(pk=batch.pk).update(stopped_reason="MongoDB unreachable")
    run_due()
    run_due()
    [message] = alerts("alerts.batch_stopped")
    assert batch.batch_id in message.subject and "MongoDB unreachable" in message.body_text
    assert "pending 1" in message.body_text


def test_a_batch_still_running_is_not_alerted(mongo):
    batch = a_batch(mongo)
    ChangeBatch.objects.filter(pk=batch.pk).update(
        stopped_reason="MongoDB unreachable", lease_expires_at=timezone.now() + timedelta(minutes=1)
    )
    run_due()
    assert alerts("alerts.batch_stopped") == []


def test_a_batch_with_failed_rows_is_alerted_once(mongo):
    batch = a_batch(mongo)
    batch.changes.update(status=BalanceChange.Status.FAILED, error="balance is not a number")
    run_due()
    run_due()
    [message] = alerts("alerts.batch_failed")
    assert "failed 1" in message.body_text


def test_a_request_waiting_too_long_is_alerted_once(mongo):
    waiting = CreditRequest.objects.create(email="bob@example.com")
    CreditRequest.objects.filter(pk=waiting.pk).update(created_at=timezone.now() - timedelta(hours=25))
    CreditRequest.objects.create(email="carol@example.com")  # recent: not yet
    run_due()
    run_due()
    [message] = alerts("alerts.request_waiting")
    assert f"#{waiting.pk} from bob@example.com" in message.body_text


def test_drift_found_by_the_daily_check_is_alerted_once_a_day(mongo):
    alice = create_user("alice@example.com", 1_000)
    librechat_db().transactions.insert_one(
        {"user": alice, "tokenType": "credits", "rawAmount": 400, "tokenValue": 400, "createdAt": timezone.now()}
    )
    run_due()
    run_due()
    [message] = alerts("alerts.drift")
    assert "1 balances disagree" in message.subject and "alice@example.com" in message.body_text


def test_a_silent_worker_is_alerted_once_and_sent_at_once(mongo, settings):
    settings.ALERT_WORKER_SILENT_MINUTES = 10
    WorkerHeartbeat.objects.create(pk=1, seen_at=timezone.now() - timedelta(minutes=30))
    run_due()
    run_due()
    [message] = alerts("alerts.worker_silent")
    assert "has not run for 30 minutes" in message.subject
    assert message.status == Message.Status.SENT  # sent by the scheduler: the worker that sends mail is gone


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_the_worker_runs_the_heartbeat_the_scheduler_asks_for(mongo):
    run_due()
    run_due()
    assert DBTaskResult.objects.filter(task_path=worker_heartbeat.module_path).count() == 1
    call_command("db_worker", batch=True, reload=False, verbosity=0)
    assert timezone.now() - WorkerHeartbeat.last_seen() < timedelta(minutes=1)
    assert alerts("alerts.worker_silent") == []
