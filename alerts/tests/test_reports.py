"""Scheduled usage reports: the analytics numbers, CSV and XLSX attachments that open, once per period."""

import base64
import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from openpyxl import load_workbook

from alerts import reports
from alerts.schedule import run_due
from analytics import reports as analytics
from analytics.rollup import refresh_usage
from analytics.testing import grant, spend
from librechat.testing import create_user
from outbox.models import Message
from policies.tests.helpers import make_policy

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
MONDAY = datetime(2026, 11, 23, 9, tzinfo=UTC)


@pytest.fixture(autouse=True)
def report_settings(settings):
    settings.LOW_BALANCE_THRESHOLDS = []
    settings.NOTIFY_TO = []
    settings.NOTIFY_URLS = []
    settings.REPORT_TO = ["finance@example.com"]
    settings.REPORT_SCHEDULE = ["weekly"]
    settings.ALERT_DIGEST_HOUR_UTC = 24


@pytest.fixture
def last_week(mongo):
    """Alice (example.com) and Bob (uni.edu) spent in the week before MONDAY; Alice got a grant."""
    alice = create_user("alice@example.com", 1_000_000)
    bob = create_user("=HYPERLINK(1)@uni.edu", 1_000_000)
    spend(alice, MONDAY - timedelta(days=3), tokens=2000, rate=2.5)
    spend(alice, MONDAY - timedelta(days=3), token_type="completion", tokens=1000, rate=10.0)
    spend(bob, MONDAY - timedelta(days=1), model="claude-sonnet-4", tokens=1000, rate=3.0)
    grant(alice, MONDAY - timedelta(days=2), 5_000_000)
    refresh_usage(now=MONDAY)
    return reports.previous_period("weekly", MONDAY)


def attachment(message: Message, extension: str) -> bytes:
    found = next(item for item in message.attachments if item["filename"].endswith(extension))
    return base64.b64decode(found["content_base64"])


def test_the_previous_week_and_month_are_whole_utc_periods():
    week = reports.previous_period("weekly", MONDAY)
    assert (week.name, week.start, week.end) == ("2026-W47", datetime(2026, 11, 16, tzinfo=UTC), MONDAY.replace(hour=0))
    month = reports.previous_period("monthly", datetime(2026, 3, 1, 0, 30, tzinfo=UTC))
    assert (month.name, month.start, month.end) == (
        "2026-02",
        datetime(2026, 2, 1, tzinfo=UTC),
        datetime(2026, 3, 1, tzinfo=UTC),
    )


def test_the_weekly_report_is_queued_once_with_its_attachments(last_week):
    run_due(MONDAY)
    run_due(MONDAY + timedelta(hours=1))
    message = Message.objects.get(event="alerts.report")
    assert (message.recipient, message.subject) == ("finance@example.com", "LibreChat usage 2026-W47")
    assert {item["filename"] for item in message.attachments} == {
        "librechat-usage-2026-W47.csv",
        "librechat-usage-2026-W47.xlsx",
    }


def test_report_numbers_equal_the_analytics_for_the_same_period(last_week):
    report = reports.build_report(last_week)
    assert report.summary == analytics.summary(last_week)
    assert report.models == analytics.top_models(last_week)
    assert report.summary["totalCost"] == pytest.approx(0.018)  # 5,000 + 10,000 + 3,000 credits
    assert report.summary["creditsGranted"] == 5_000_000
    domains = {row["domain"]: (row["totalCost"], row["users"]) for row in report.domains}
    assert domains == {"example.com": (pytest.approx(0.015), 1), "uni.edu": (pytest.approx(0.003), 1)}


def test_the_report_counts_cost_per_credit_policy_and_users_at_zero(last_week, mongo):
    make_policy("Students", email_domains="uni.edu", roles="")
    create_user("broke@example.com", 0)
    report = reports.build_report(last_week)
    policies = {row["group"]: (row["totalCost"], row["users"]) for row in report.policies}
    assert policies == {"(no policy)": (pytest.approx(0.015), 1), "Students": (pytest.approx(0.003), 1)}
    assert report.users_at_zero == 1


def test_the_csv_attachment_opens_and_escapes_formulas(last_week):
    run_due(MONDAY)
    rows = list(csv.DictReader(io.StringIO(attachment(Message.objects.get(), ".csv").decode())))
    domains = {row["name"]: float(row["cost_usd"]) for row in rows if row["section"] == "domain"}
    assert domains == {"example.com": pytest.approx(0.015), "uni.edu": pytest.approx(0.003)}
    users = [row["name"] for row in rows if row["section"] == "user"]
    assert "'=hyperlink(1)@uni.edu" in users


def test_the_xlsx_attachment_opens_with_a_sheet_per_table(last_week):
    run_due(MONDAY)
    workbook = load_workbook(io.BytesIO(attachment(Message.objects.get(), ".xlsx")))
    assert workbook.sheetnames == ["summary", "model", "agent", "user", "domain", "policy"]
    summary = {row[0]: row[1] for row in workbook["summary"].iter_rows(values_only=True)}
    assert summary["totalCost"] == pytest.approx(0.018)
    assert [row[0] for row in workbook["user"].iter_rows(min_row=2, values_only=True)] == [
        "alice@example.com",
        "'=hyperlink(1)@uni.edu",
    ]


def test_the_admin_shows_and_downloads_any_periods_report(last_week, client):
    client.force_login(User.objects.create_superuser("ann", password="x"))
    query = "period=custom&start=2026-11-16&end=2026-11-22"
    page = client.get(f"/admin/alerts/scheduledrun/report/?{query}")
    assert page.status_code == 200
    assert b"uni.edu" in page.content
    download = client.get(f"/admin/alerts/scheduledrun/report/?{query}&format=xlsx")
    assert download.status_code == 200
    assert load_workbook(io.BytesIO(download.content)).sheetnames[0] == "summary"
    bad = client.get("/admin/alerts/scheduledrun/report/?period=forever")
    assert bad.status_code == 400


def test_no_report_without_recipients(last_week, settings):
    settings.REPORT_TO = []
    run_due(MONDAY)
    assert not Message.objects.exists()
