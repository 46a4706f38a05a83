"""The admin home page: each figure counts what its list shows, only for those who may open that list."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.utils import timezone

from alerts.models import ScheduledRun, WorkerHeartbeat
from analytics.models import UsageRollup
from ledger.models import BalanceChange, ChangeBatch
from librechat.testing import create_user
from policies.models import Policy
from requests_app.models import CreditRequest

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


def batch(batch_id: str, **fields) -> ChangeBatch:
    return ChangeBatch.objects.create(batch_id=batch_id, kind="add", source="admin", actor="olga", **fields)


@pytest.fixture
def busy_day(mongo):
    create_user("erin@example.com", 0)
    create_user("grace@example.com", 500_000)
    create_user("dave@example.com", 4_500_000)
    create_user("zed@example.com", -5)
    for email in ("a@example.com", "b@example.com"):
        CreditRequest.objects.create(email=email)
    CreditRequest.objects.create(email="c@example.com", status=CreditRequest.Status.APPROVED)
    now = timezone.now()
    batch("running", lease_owner="w1", lease_expires_at=now + timedelta(minutes=5))
    batch("stopped", stopped_reason="MongoDB went away")
    batch("stopped-then-taken", stopped_reason="old", lease_expires_at=now + timedelta(minutes=5))
    failed = batch("failed")
    BalanceChange.objects.create(
        batch=failed, librechat_user_id="a" * 24, email="x@example.com", requested_credits=5, status="failed"
    )
    batch("done")


def test_each_figure_counts_what_its_list_shows(admin_client, busy_day):
    response = admin_client.get("/admin/")
    assert response.status_code == 200
    figures = response.context["home"].today
    assert {figure.label: figure.count for figure in figures} == {
        "Credit requests waiting": 2,
        "Users at zero": 2,
        "Users below 1,000,000 credits": 3,
        "Batches running": 2,
        "Batches stopped before the end": 1,
        "Batches with failed rows": 1,
    }
    for figure in figures:
        listed = admin_client.get(figure.url)
        assert listed.status_code == 200, figure.url
        assert listed.context["cl"].result_count == figure.count, figure.label
        assert f'href="{figure.url}"'.replace("&", "&amp;") in response.content.decode()


def test_the_low_balance_figure_follows_the_alerts_highest_threshold(admin_client, busy_day, settings):
    settings.LOW_BALANCE_THRESHOLDS = [0, 4_000_000, 2_000_000]
    figure = next(f for f in admin_client.get("/admin/").context["home"].today if f.label.startswith("Users below"))
    assert figure.label == "Users below 4,000,000 credits" and figure.count == 3
    assert admin_client.get(figure.url).context["cl"].result_count == 3


def test_the_oldest_waiting_request_says_how_long_it_waits(admin_client, busy_day):
    CreditRequest.objects.filter(email="a@example.com").update(created_at=timezone.now() - timedelta(hours=30))
    content = admin_client.get("/admin/").content.decode()
    assert "the oldest has waited 1\xa0day, 6\xa0hours" in content


def test_a_figure_shows_only_to_who_may_open_its_list(client, django_user_model, busy_day):
    clerk = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_creditrequest"))
    client.force_login(clerk)
    response = client.get("/admin/")
    assert [figure.label for figure in response.context["home"].today] == ["Credit requests waiting"]
    content = response.content.decode()
    assert "Users at zero" not in content and "Batches" not in content and "balance-overview" not in content
    assert "home-week-chart" not in content and "chart.umd" not in content
    assert [section["name"] for section in response.context["app_list"]] == ["Requests"]


def test_the_system_section_is_for_superusers_only(admin_client, operator_client, mongo):
    sections = {section["name"]: section for section in admin_client.get("/admin/").context["app_list"]}
    assert list(sections) == [
        "Balances", "Users", "Requests", "History", "Analytics", "Policies", "Alerts", "API keys", "System",
    ]  # fmt: skip
    system = [model["name"] for model in sections["System"]["models"]]
    assert {"Staff accounts", "Task results", "Messages", "CSV top-up rows", "Access attempts"} <= set(system)
    operator_sections = [section["name"] for section in operator_client.get("/admin/").context["app_list"]]
    assert operator_sections == ["Balances", "Users", "Requests", "History", "Analytics", "Policies"]
    assert "Staff accounts" not in operator_client.get("/admin/").content.decode()


def test_the_sidebar_of_every_list_shows_the_same_sections(operator_client, mongo):
    sidebar = operator_client.get("/admin/requests_app/creditrequest/").context["available_apps"]
    assert [section["name"] for section in sidebar][:3] == ["Balances", "Users", "Requests"]


def test_an_app_page_still_lists_its_own_models(admin_client, mongo):
    response = admin_client.get("/admin/audit/")
    assert response.status_code == 200
    assert [model["object_name"] for model in response.context["app_list"][0]["models"]][:1] == ["BalanceChange"]


def test_it_shows_the_workers_heartbeat(admin_client, mongo):
    assert "no heartbeat yet" in admin_client.get("/admin/").content.decode()
    WorkerHeartbeat.objects.create(pk=1, seen_at=timezone.now() - timedelta(minutes=2))
    assert "running: last heartbeat 2\xa0minutes ago" in admin_client.get("/admin/").content.decode()
    WorkerHeartbeat.objects.filter(pk=1).update(seen_at=timezone.now() - timedelta(hours=1))
    assert "silent for 1\xa0hour" in admin_client.get("/admin/").content.decode()


def test_it_shows_the_next_policy_runs_and_reports(admin_client, mongo, settings):
    settings.REPORT_SCHEDULE = ["weekly"]
    monthly = Policy.objects.create(name="Staff top-up", action="add", amount_credits=5, frequency="monthly")
    Policy.objects.create(name="Paused", action="add", amount_credits=5, active=False)
    upcoming = admin_client.get("/admin/").context["home"].upcoming
    labels = [figure.label for figure in upcoming]
    assert "Policy “Staff top-up”" in labels and "Policy “Paused”" not in labels
    assert {"Low-balance digest", "Weekly usage report"} <= set(labels)
    policy = next(figure for figure in upcoming if figure.label == "Policy “Staff top-up”")
    assert policy.url == f"/admin/policies/policy/{monthly.pk}/change/"
    assert policy.note.startswith(f"{timezone.now().date().replace(day=1) + timedelta(days=32):%Y-%m}-01 00:00")


def test_the_next_report_moves_on_once_this_ones_is_sent(admin_client, mongo, settings):
    from alerts.schedule import upcoming_jobs

    settings.REPORT_SCHEDULE = ["weekly"]
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)  # a Wednesday
    assert dict(upcoming_jobs(now))["Weekly usage report"] == datetime(2026, 11, 23, tzinfo=UTC)
    ScheduledRun.objects.create(job="report-weekly", key="2026-W47")
    assert dict(upcoming_jobs(now))["Weekly usage report"] == datetime(2026, 11, 30, tzinfo=UTC)


def test_the_week_chart_gets_each_days_cost_and_grants_from_the_rollups(admin_client, mongo):
    today = timezone.now().astimezone(UTC).replace(hour=1, minute=0, second=0, microsecond=0)
    common = {"user_id": "a" * 24, "rows": 1, "raw_tokens": 0, "input_tokens": 0}
    common |= {"cache_write_tokens": 0, "cache_read_tokens": 0}
    UsageRollup.objects.create(
        hour=today, token_type="prompt", cost_millicredits=2_500_000, granted_millicredits=0, **common
    )
    UsageRollup.objects.create(
        hour=today - timedelta(days=2),
        token_type="credits",
        cost_millicredits=0,
        granted_millicredits=5_000_000_000,
        **common,
    )
    UsageRollup.objects.create(
        hour=today - timedelta(days=9),
        token_type="prompt",
        cost_millicredits=9_000_000,
        granted_millicredits=0,
        **common,
    )
    response = admin_client.get("/admin/")
    week = response.context["home"].week
    assert len(week) == 7 and week[-1]["day"] == today.date().isoformat()
    assert week[-1]["costUsd"] == 0.0025 and week[-3]["grantedUsd"] == 5.0
    assert sum(day["costUsd"] for day in week) == 0.0025
    content = response.content.decode()
    assert 'id="home-week-points" type="application/json"' in content and "balancemgr/home.js" in content


def test_the_home_page_shows_what_it_can_while_mongo_is_away(admin_client, unreachable_mongo):
    cache.clear()  # no overview counted by an earlier test
    CreditRequest.objects.create(email="a@example.com")
    response = admin_client.get("/admin/")
    assert response.status_code == 200
    content = response.content.decode()
    assert f"Balances cannot be counted: Cannot reach LibreChat&#x27;s MongoDB at {unreachable_mongo}" in content
    assert [figure.label for figure in response.context["home"].today][:1] == ["Credit requests waiting"]
    assert "Users at zero" not in content and 'id="balance-overview"' not in content
