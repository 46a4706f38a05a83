from datetime import timedelta

import pytest
from bson import ObjectId
from django.utils import timezone

from analytics.models import AgentConversation, ConversationRollup, RollupState, UsageRollup
from analytics.periods import floor_hour
from analytics.rollup import rebuild_usage, refresh_usage
from analytics.testing import agent, conversation, grant, spend
from librechat.testing import create_user

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


def usage_rows() -> set[tuple]:
    fields = [f.name for f in UsageRollup._meta.fields if f.name != "id"]
    return set(UsageRollup.objects.values_list(*fields))


def conversation_rows() -> set[tuple]:
    return set(ConversationRollup.objects.values_list("hour", "user_id", "conversations"))


def test_it_rolls_up_per_hour_user_model_and_token_type(mongo):
    alice = create_user("alice@example.com", 0)
    hour = floor_hour(timezone.now()) - timedelta(hours=5)
    spend(alice, hour + timedelta(minutes=1), tokens=1000, rate=2.5, readTokens=-200, writeTokens=-100)
    spend(alice, hour + timedelta(minutes=50), tokens=500, rate=2.5, inputTokens=-300)
    spend(alice, hour + timedelta(minutes=51), token_type="completion", tokens=100, rate=10.0)
    spend(alice, hour + timedelta(hours=1), tokens=10, rate=0.15)

    result = refresh_usage()

    assert result.finished
    prompt = UsageRollup.objects.get(hour=hour, token_type="prompt")
    assert (prompt.user_id, prompt.model, prompt.agent_id, prompt.rows) == (str(alice), "gpt-4o", "", 2)
    assert (prompt.raw_tokens, prompt.input_tokens, prompt.cache_read_tokens, prompt.cache_write_tokens) == (
        1500,
        300,
        200,
        100,
    )
    assert prompt.cost_millicredits == 3_750_000  # 1,500 tokens x 2.5 credits = 3,750 credits
    assert UsageRollup.objects.get(hour=hour, token_type="completion").cost_millicredits == 1_000_000
    # 10 x 0.15 = 1.5 credits, kept to the thousandth of a credit.
    assert UsageRollup.objects.get(hour=hour + timedelta(hours=1)).cost_millicredits == 1_500
    assert RollupState.load().covered_until is not None


def test_credit_rows_are_grants_and_never_spend(mongo):
    alice = create_user("alice@example.com", 0)
    when = timezone.now() - timedelta(hours=2)
    grant(alice, when, 5_000_000)
    grant(alice, when, -1_000_000)  # a set that lowered the balance

    refresh_usage()

    row = UsageRollup.objects.get(token_type="credits")
    assert (row.rows, row.granted_millicredits, row.cost_millicredits) == (2, 4_000_000_000, 0)


def test_it_counts_conversations_per_user_and_hour(mongo):
    alice, bob = create_user("alice@example.com", 0), create_user("bob@example.com", 0)
    hour = floor_hour(timezone.now()) - timedelta(hours=3)
    conversation(alice, hour + timedelta(minutes=5), "a1")
    conversation(alice, hour + timedelta(minutes=6), "a2")
    conversation(bob, hour + timedelta(minutes=7), "b1")

    refresh_usage()

    assert conversation_rows() == {(hour, str(alice), 2), (hour, str(bob), 1)}


def test_it_resolves_old_agent_rows_through_agents(mongo):
    alice = create_user("alice@example.com", 0)
    agent("agent_abc", "Research Assistant", "claude-sonnet-4")
    mongo.agents.insert_one({"name": "a draft without an id"})  # tolerated, never matched
    spend(alice, timezone.now() - timedelta(hours=1), model="agent_abc")
    spend(alice, timezone.now() - timedelta(hours=1), model="agent_gone")

    refresh_usage()

    assert set(UsageRollup.objects.values_list("agent_id", "model")) == {
        ("agent_abc", "claude-sonnet-4"),
        ("agent_gone", "agent_gone"),  # a deleted agent keeps its id, there is no model to resolve
    }


def test_it_resolves_new_agent_rows_through_their_conversation(mongo):
    alice = create_user("alice@example.com", 0)
    agent("agent_abc", "Research Assistant", "claude-sonnet-4")
    when = timezone.now() - timedelta(hours=1)
    spend(alice, when, model="claude-sonnet-4", conversation_id="with-agent")
    spend(alice, when, model="gpt-4o", conversation_id="plain")
    # LibreChat saves the conversation after the first response, so a little after its rows.
    conversation(alice, when + timedelta(seconds=5), "with-agent", agent_id="agent_abc")
    conversation(alice, when, "plain")

    refresh_usage()

    assert set(UsageRollup.objects.values_list("agent_id", "model")) == {
        ("agent_abc", "claude-sonnet-4"),
        ("", "gpt-4o"),
    }
    assert AgentConversation.objects.get().conversation_id == "with-agent"


def test_it_counts_late_rows_inside_the_lag_window(mongo, settings):
    settings.USAGE_LAG_MINUTES = 10
    alice = create_user("alice@example.com", 0)
    now = timezone.now()
    spend(alice, now - timedelta(minutes=30))
    refresh_usage(now=now)
    # Written after that refresh by a slower LibreChat process, with an `_id` from before it.
    spend(alice, now - timedelta(minutes=5))
    spend(alice, now - timedelta(hours=3))

    refresh_usage(now=now + timedelta(minutes=1))

    counted = sum(UsageRollup.objects.values_list("rows", flat=True))
    assert counted == 2  # the row from 3 hours ago is beyond the lag: only --rebuild finds it
    rebuild_usage()
    assert sum(UsageRollup.objects.values_list("rows", flat=True)) == 3


def test_refreshing_twice_changes_nothing(mongo):
    alice = create_user("alice@example.com", 0)
    now = timezone.now()
    for minutes in (1, 5, 30, 200):
        spend(alice, now - timedelta(minutes=minutes))
        conversation(alice, now - timedelta(minutes=minutes), f"c{minutes}")
    refresh_usage()
    before = usage_rows_with_ids(), conversation_rows()

    refresh_usage()

    assert (usage_rows_with_ids(), conversation_rows()) == before


def usage_rows_with_ids() -> set[tuple]:
    return set(UsageRollup.objects.values_list(*[f.name for f in UsageRollup._meta.fields]))


def test_rebuild_equals_incremental(mongo):
    alice, bob = create_user("alice@example.com", 0), create_user("bob@example.com", 0)
    agent("agent_abc", "Research Assistant", "o3")
    start = floor_hour(timezone.now()) - timedelta(days=3)
    for step in range(0, 72, 7):
        when = start + timedelta(hours=step, minutes=13)
        spend(alice if step % 2 else bob, when, model="agent_abc" if step % 3 else "gpt-4o", tokens=step + 1)
        conversation(alice, when, f"c{step}")
        refresh_usage(now=when + timedelta(minutes=1))
    incremental = usage_rows(), conversation_rows()

    result = rebuild_usage()

    assert result.finished
    assert (usage_rows(), conversation_rows()) == incremental


def test_a_bounded_refresh_stops_after_its_deadline_and_resumes(mongo):
    alice = create_user("alice@example.com", 0)
    spend(alice, timezone.now() - timedelta(days=3))

    first = refresh_usage(deadline=0)  # already past: one chunk, then stop

    assert (first.chunks_done, first.finished) == (1, False)
    assert RollupState.load().covered_until < timezone.now() - timedelta(days=2)
    second = refresh_usage()
    assert second.finished
    assert sum(UsageRollup.objects.values_list("rows", flat=True)) == 1


def test_an_empty_librechat_rolls_up_nothing_until_rows_arrive(mongo):
    refresh_usage()
    assert RollupState.load().covered_until is None

    hour = floor_hour(timezone.now()) - timedelta(days=2)
    spend(ObjectId(), hour + timedelta(minutes=30))
    refresh_usage()

    assert UsageRollup.objects.get().hour == hour
