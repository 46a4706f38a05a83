"""Real SMTP round trips: the low-balance mail and a report with its attachments reach a local SMTP server."""

from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from django.utils import timezone

from alerts import reports
from alerts.schedule import run_due
from alerts.tests.test_low_balance import spend_like_librechat
from librechat.mongo import librechat_db
from librechat.testing import create_user
from outbox.sending import send_due_messages

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


def received(mailbox, to: str):
    envelope = next(envelope for envelope in mailbox.envelopes if envelope.rcpt_tos == [to])
    return message_from_bytes(envelope.original_content, policy=policy.default)


def test_the_low_balance_mail_and_its_unsubscribe_link_work_end_to_end(mongo, client, smtp_server, settings):
    settings.LOW_BALANCE_THRESHOLDS = [1_000_000]
    settings.LOW_BALANCE_MAIL_USERS = True
    settings.NOTIFY_TO, settings.NOTIFY_URLS, settings.REPORT_SCHEDULE = [], [], []
    settings.ALERT_DIGEST_HOUR_UTC = 24
    alice = create_user("alice@example.com", 1_100_000)
    run_due()
    spend_like_librechat(alice, 200_000)
    run_due()
    send_due_messages()
    message = received(smtp_server, "alice@example.com")
    assert message["Subject"] == "Your LibreChat credits are running low"
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "900,000 credits ($0.90) left" in text
    unsubscribe = next(word for word in text.split() if "/alerts/unsubscribe/" in word)
    path = unsubscribe[unsubscribe.index("/alerts/") :]
    assert client.post(path).status_code == 200
    librechat_db().balances.update_one({"user": alice}, {"$inc": {"tokenCredits": 500_000}})  # re-armed
    run_due()
    spend_like_librechat(alice, 500_000)
    run_due()
    send_due_messages()
    assert len([e for e in smtp_server.envelopes if e.rcpt_tos == ["alice@example.com"]]) == 1


def test_a_report_arrives_with_csv_and_xlsx_attachments(mongo, smtp_server, settings):
    settings.REPORT_TO = ["finance@example.com"]
    period = reports.previous_period("weekly", timezone.now() + timedelta(days=7))
    reports.queue_report(period)
    send_due_messages()
    message = received(smtp_server, "finance@example.com")
    names = sorted(part.get_filename() for part in message.iter_attachments())
    assert names == [f"librechat-usage-{period.name}.csv", f"librechat-usage-{period.name}.xlsx"]
