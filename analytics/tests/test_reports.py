from datetime import timedelta

import pytest
from bson import ObjectId
from django.utils import timezone

from analytics import reports
from analytics.periods import parse_period
from analytics.rollup import refresh_usage
from analytics.testing import agent, conversation, grant, spend
from librechat.testing import create_user

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


@pytest.fixture
def usage(mongo):
    """Alice spends $0.03 directly, Bob $0.015 through an agent; Alice got a grant; one old row."""
    alice = create_user("alice@example.com", 6_000_000, name="Alice")
    bob = create_user("bob@example.com", None, name="Bob")
    agent("agent_abc", "Research Assistant", "claude-sonnet-4")
    now = timezone.now()
    hour_ago = now - timedelta(hours=1)
    conversation(alice, hour_ago, "a1")
    spend(alice, hour_ago, tokens=2000, rate=2.5, conversation_id="a1", readTokens=-500, writeTokens=-100)
    spend(alice, hour_ago, token_type="completion", tokens=2500, rate=10.0, conversation_id="a1")
    conversation(bob, hour_ago, "b1", agent_id="agent_abc")
    spend(bob, hour_ago, model="claude-sonnet-4", tokens=1000, rate=3.0, conversation_id="b1")
    spend(bob, hour_ago, model="agent_abc", token_type="completion", tokens=800, rate=15.0, conversation_id="b1")
    grant(alice, hour_ago, 5_000_000)
    spend(alice, now - timedelta(days=10), tokens=1_000_000, rate=2.5)  # outside 7d
    refresh_usage()
    return {"alice": alice, "bob": bob, "week": parse_period("7d")}


def test_summary_counts_spend_and_shows_grants_apart(usage):
    summary = reports.summary(usage["week"])
    assert summary["totalCost"] == pytest.approx(0.045)  # 5,000 + 25,000 + 3,000 + 12,000 credits
    assert summary["promptCost"] == pytest.approx(0.008)
    assert summary["completionCost"] == pytest.approx(0.037)
    assert (summary["promptTokens"], summary["completionTokens"], summary["totalTokens"]) == (3000, 3300, 6300)
    assert (summary["cacheReadTokens"], summary["cacheWriteTokens"]) == (500, 100)
    assert (summary["activeUsers"], summary["conversations"], summary["requests"]) == (2, 2, 2)
    assert (summary["creditsGranted"], summary["creditsGrantedCost"], summary["grants"]) == (5_000_000, 5.0, 1)
    assert summary["period"]["name"] == "7d"


def test_top_users_rank_by_cost_with_balance_and_days_left(usage):
    alice, bob = reports.top_users(usage["week"])
    assert (alice["email"], alice["name"], alice["totalCost"], alice["conversations"]) == (
        "alice@example.com",
        "Alice",
        pytest.approx(0.03),
        1,
    )
    assert alice["balance"] == 6_000_000
    # 30,000 credits over the 7 days elapsed so far: 6,000,000 credits last about 1,400 days.
    assert alice["daysLeft"] == pytest.approx(1400, rel=0.01)
    assert (bob["email"], bob["balance"], bob["daysLeft"]) == ("bob@example.com", None, None)
    assert [row["userId"] for row in reports.top_users(usage["week"], limit=1)] == [str(usage["alice"])]


def test_top_users_show_a_deleted_user_by_id(usage, mongo):
    mongo.users.delete_one({"_id": usage["bob"]})
    bob = reports.top_users(usage["week"])[1]
    assert (bob["userId"], bob["email"], bob["name"]) == (str(usage["bob"]), None, None)


def test_top_models_count_agent_usage_under_the_underlying_model(usage):
    models = {row["model"]: row for row in reports.top_models(usage["week"])}
    assert set(models) == {"gpt-4o", "claude-sonnet-4"}
    claude = models["claude-sonnet-4"]
    assert (claude["promptTokens"], claude["completionTokens"], claude["requests"], claude["users"]) == (
        1000,
        800,
        1,
        1,
    )
    assert (claude["promptCost"], claude["completionCost"]) == (pytest.approx(0.003), pytest.approx(0.012))


def test_top_agents_resolve_both_ways_to_one_agent(usage):
    [row] = reports.top_agents(usage["week"])
    assert (row["agentId"], row["name"], row["model"], row["users"], row["requests"]) == (
        "agent_abc",
        "Research Assistant",
        "claude-sonnet-4",
        1,
        1,
    )
    assert row["totalCost"] == pytest.approx(0.015)


def test_cost_breakdown_splits_by_token_type_source_and_model(usage):
    breakdown = reports.cost_breakdown(usage["week"])
    assert breakdown["totalCost"] == pytest.approx(0.045)
    assert breakdown["bySource"] == {"direct": pytest.approx(0.03), "agents": pytest.approx(0.015)}
    assert breakdown["byTokenType"] == {"prompt": pytest.approx(0.008), "completion": pytest.approx(0.037)}
    assert [(row["model"], row["share"]) for row in breakdown["byModel"]] == [
        ("gpt-4o", 66.67),
        ("claude-sonnet-4", 33.33),
    ]


def test_usage_over_time_has_every_bucket(usage):
    day = reports.usage_over_time(parse_period("24h"))
    assert (day["bucket"], len(day["points"])) == ("hour", 24)
    assert sum(point["totalCost"] for point in day["points"]) == pytest.approx(0.045)
    week = reports.usage_over_time(usage["week"])
    assert len(week["points"]) in (7, 8)  # calendar days touched by the last 168 hours
    assert max(point["activeUsers"] for point in week["points"]) == 2
    assert reports.usage_over_time(parse_period("90d"))["points"][0]["totalCost"] == 0


def test_reports_of_an_empty_period_are_zero(mongo):
    refresh_usage()
    summary = reports.summary(parse_period("24h"))
    assert (summary["totalCost"], summary["activeUsers"], summary["creditsGranted"]) == (0, 0, 0)
    assert reports.top_users(parse_period("24h")) == []
    assert reports.cost_breakdown(parse_period("24h"))["byModel"] == []


@pytest.mark.parametrize(
    ("balance", "spent", "days", "expected"),
    [
        (1_000_000, 100_000, 10, 100.0),
        (1_000_000, 0, 10, None),
        (None, 100_000, 10, None),
        (-5, 100_000, 10, 0.0),
        (1_000_000, 300_000, 7, 23.3),
    ],
)
def test_days_until_empty(balance, spent, days, expected):
    assert reports.days_until_empty(balance, spent, days) == expected


def test_a_user_id_that_is_not_an_object_id_still_lists(mongo):
    spend("legacy-user-id", timezone.now() - timedelta(hours=1))
    refresh_usage()
    [row] = reports.top_users(parse_period("24h"))
    assert (row["userId"], row["email"], row["balance"]) == ("legacy-user-id", None, None)
    assert ObjectId.is_valid(row["userId"]) is False
