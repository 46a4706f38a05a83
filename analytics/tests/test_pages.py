import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.models import RollupState, UsageRollup
from analytics.testing import agent, conversation, grant, spend
from librechat.testing import create_user

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
PAGES = ["overview", "users", "models", "agents"]


@pytest.fixture
def usage(mongo):
    alice = create_user("alice@example.com", 3_000_000, name='=HYPERLINK("http://evil")')
    agent("agent_abc", "Research <b>Assistant</b>", "claude-sonnet-4")
    when = timezone.now() - timedelta(hours=2)
    conversation(alice, when, "a1")
    spend(alice, when, tokens=2000, rate=2.5, conversation_id="a1")
    spend(alice, when, token_type="completion", tokens=1000, rate=10.0, model="agent_abc", conversation_id="a1")
    grant(alice, when, 5_000_000)
    return alice


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_overview_shows_cost_tokens_grants_and_chart_data(viewer_client, usage):
    response = viewer_client.get(reverse("analytics:overview"), {"period": "24h"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "$0.02" in body and "$0.0150" not in body  # 5,000 + 10,000 credits, to the cent
    assert "Credits granted (not spend)" in body and "5,000,000" in body
    assert 'id="analytics-chart"' in body and 'id="analytics-chart-points"' in body
    assert "<script>" not in body and 'style="' not in body  # nothing a self-only CSP would block
    assert RollupState.load().refreshed_at is not None


@pytest.mark.parametrize("page", PAGES)
def test_every_page_answers_a_viewer_and_an_operator(viewer_client, operator_client, usage, page):
    for client in (viewer_client, operator_client):
        response = client.get(reverse(f"analytics:{page}"))
        assert response.status_code == 200
        assert response.context["period"].name == "7d"


def test_the_users_page_links_each_user_and_forecasts_the_balance(viewer_client, usage):
    response = viewer_client.get(reverse("analytics:users"), {"period": "7d"})
    body = response.content.decode()
    assert response.status_code == 200
    assert reverse("admin:balances_librechatuser_change", args=[str(usage)]) in body
    [row] = response.context["tables"][0].rows
    assert (row["balance"], row["conversations"]) == (3_000_000, 1)
    assert row["daysLeft"] == pytest.approx(3_000_000 / (15_000 / 7), rel=0.01)
    assert "&lt;b&gt;" not in body  # user-controlled text is escaped (the agent name is not on this page)


def test_the_agents_page_escapes_agent_names(viewer_client, usage):
    response = viewer_client.get(reverse("analytics:agents"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Research &lt;b&gt;Assistant&lt;/b&gt;" in body and "claude-sonnet-4" in body


@pytest.mark.parametrize(
    ("page", "table", "header"),
    [
        ("overview", "timeseries", "day (UTC)"),
        ("overview", "summary", "metric"),
        ("users", "users", "email"),
        ("models", "models", "model"),
        ("agents", "agents", "agent"),
    ],
)
def test_every_table_exports_to_csv(viewer_client, usage, page, table, header):
    response = viewer_client.get(reverse(f"analytics:{page}"), {"period": "7d", "export": table})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"-{table}.csv" in response["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0][0] == header and len(rows) > 1


def test_exports_escape_formulas_in_names(viewer_client, usage):
    response = viewer_client.get(reverse("analytics:users"), {"export": "users"})
    [header, row] = csv_rows(response)
    assert row[header.index("name")] == '\'=HYPERLINK("http://evil")'
    assert row[header.index("cost (USD)")] == "0.015"


def test_an_unknown_export_is_refused(viewer_client, usage):
    response = viewer_client.get(reverse("analytics:models"), {"export": "secrets"})
    assert response.status_code == 400
    assert response.context["error"] == "There is no table 'secrets' to export on this page."


EXTREME_OFFSETS = {"period": "custom", "start": "0001-01-01T00:00:00+14:00", "end": "9999-12-31T23:00:00-05:00"}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": "1y"}, "period must be one of 24h, 7d, 30d, 90d, custom"),
        ({"period": "custom", "start": "2026-11-10"}, "period=custom needs both start and end"),
        ({"period": "custom", "start": "soon", "end": "2026-11-10"}, "start must be an ISO date"),
        (EXTREME_OFFSETS, "start must lie between the years"),
        ({"limit": "0"}, "limit must be a whole number from 1 to 100"),
        ({"limit": "ten"}, "limit must be a whole number from 1 to 100"),
    ],
)
def test_bad_parameters_get_a_message_and_the_default_period(viewer_client, usage, params, message):
    response = viewer_client.get(reverse("analytics:users"), params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["period"].name == "7d"
    assert len(response.context["tables"][0].rows) == 1


def test_the_users_page_shows_a_balance_that_is_not_a_number_as_invalid(viewer_client, mongo):
    carol = create_user("carol@example.com", "lots")
    spend(carol, timezone.now() - timedelta(hours=2))
    response = viewer_client.get(reverse("analytics:users"), {"period": "24h"})
    assert response.status_code == 200
    assert "invalid: &#x27;lots&#x27;" in response.content.decode()
    assert response.context["tables"][0].rows[0]["daysLeft"] is None


@pytest.mark.parametrize("page", ["overview", "users", "models", "agents"])
def test_every_page_refuses_a_date_beyond_the_calendar_in_utc(viewer_client, usage, page):
    response = viewer_client.get(reverse(f"analytics:{page}"), EXTREME_OFFSETS)
    assert response.status_code == 400
    assert "start must lie between the years 1970 and 9000." in response.content.decode()


def test_a_custom_range_is_accepted(viewer_client, usage):
    today = timezone.now().date()
    params = {"period": "custom", "start": str(today - timedelta(days=2)), "end": str(today)}
    response = viewer_client.get(reverse("analytics:models"), params)
    assert response.status_code == 200
    assert response.context["period"].name == "custom"
    assert {row["model"] for row in response.context["tables"][0].rows} == {"gpt-4o", "claude-sonnet-4"}


def test_pages_refresh_stale_rollups_but_not_fresh_ones(viewer_client, usage, settings):
    settings.USAGE_MAX_AGE_SECONDS = 3600
    viewer_client.get(reverse("analytics:overview"))
    spend(usage, timezone.now() - timedelta(minutes=1), tokens=1)
    viewer_client.get(reverse("analytics:overview"))
    assert UsageRollup.objects.filter(raw_tokens=1).count() == 0  # fresh enough: not refreshed

    settings.USAGE_MAX_AGE_SECONDS = 0
    viewer_client.get(reverse("analytics:overview"))
    assert UsageRollup.objects.filter(raw_tokens=1).count() == 1


def test_anonymous_visitors_are_sent_to_the_login_page(client, usage):
    response = client.get(reverse("analytics:overview"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert not RollupState.objects.exists()


def test_staff_without_the_permission_are_refused(client, django_user_model, usage):
    client.force_login(django_user_model.objects.create_user("nobody", password="pw", is_staff=True))
    response = client.get(reverse("analytics:users"))
    assert response.status_code == 403
    assert not RollupState.objects.exists()


def test_the_admin_index_links_the_pages_for_viewers(viewer_client, usage):
    response = viewer_client.get(reverse("admin:index"))
    assert response.status_code == 200
    for page in PAGES:
        assert reverse(f"analytics:{page}") in response.content.decode()


def test_a_page_stops_catching_up_after_its_budget_and_says_so(viewer_client, mongo, settings):
    settings.USAGE_PAGE_REFRESH_SECONDS = 0
    alice = create_user("alice@example.com", 0)
    spend(alice, timezone.now() - timedelta(days=5))
    response = viewer_client.get(reverse("analytics:overview"))
    assert response.status_code == 200
    assert "Still catching up on older usage" in response.content.decode()
    assert RollupState.load().covered_until < timezone.now() - timedelta(days=3)
