"""Rollups equal a direct aggregation over the raw transactions, for random data sets."""

from collections import defaultdict
from datetime import timedelta

import pytest
from bson import ObjectId
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.models import UsageRollup
from analytics.periods import floor_hour
from analytics.rollup import rebuild_usage, refresh_usage
from analytics.testing import agent, grant, spend
from librechat.mongo import librechat_db

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
USERS = ["64b000000000000000000001", "64b000000000000000000002", "64b000000000000000000003"]
AGENT_MODELS = {"agent_a": "o3"}  # agent_b was deleted: its rows keep the agent id as model
rows_strategy = st.lists(
    st.tuples(
        st.integers(0, len(USERS) - 1),
        st.integers(0, 24 * 60 - 1),  # minutes before the current hour ends
        st.sampled_from(["gpt-4o", "o3", "agent_a", "agent_b"]),
        st.sampled_from(["prompt", "completion", "credits"]),
        st.integers(1, 2_000_000),
        st.sampled_from([0.15, 2.5, 10.0, 1 / 3]),
    ),
    max_size=30,
)


def direct_aggregation(documents: list[dict]) -> dict[tuple, list]:
    """[rows, raw tokens, cost, granted] per rollup key, computed row by row in Python."""
    expected: dict[tuple, list] = defaultdict(lambda: [0, 0, 0.0, 0.0])
    for doc in documents:
        model = doc.get("model", "")
        agent_id, model = (model, AGENT_MODELS.get(model, model)) if model.startswith("agent_") else ("", model)
        hour = floor_hour(doc["_id"].generation_time)
        totals = expected[(hour, str(doc["user"]), model, agent_id, doc["tokenType"])]
        totals[0] += 1
        totals[1] += abs(doc["rawAmount"])
        if doc["tokenType"] == "credits":
            totals[3] += doc["tokenValue"] * 1000
        else:
            totals[2] += abs(doc["tokenValue"]) * 1000
    return expected


def assert_rollups_equal(expected: dict[tuple, list]) -> None:
    found = {(row.hour, row.user_id, row.model, row.agent_id, row.token_type): row for row in UsageRollup.objects.all()}
    assert set(found) == set(expected)
    for key, (rows, raw_tokens, cost, granted) in expected.items():
        row = found[key]
        assert (row.rows, row.raw_tokens) == (rows, raw_tokens)
        # Rounded to the thousandth of a credit per (hour, conversation) group: at most 1 each.
        assert abs(row.cost_millicredits - cost) <= rows
        assert abs(row.granted_millicredits - granted) <= rows


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows_strategy, cut_minutes=st.integers(0, 24 * 60))
def test_rollups_equal_a_direct_aggregation(mongo, rows, cut_minutes):
    database = librechat_db()
    database.transactions.delete_many({})
    database.agents.delete_many({})
    agent("agent_a", "Agent A", "o3")
    end = floor_hour(timezone.now()) + timedelta(hours=1)
    cut = end - timedelta(minutes=cut_minutes)
    rebuild_usage()  # an empty start: every example begins from no rollups
    documents = []

    def insert(selected):
        for user, minutes, model, token_type, tokens, rate in selected:
            when = end - timedelta(minutes=minutes + 1)
            if token_type == "credits":
                documents.append(grant(ObjectId(USERS[user]), when, tokens))
            else:
                documents.append(
                    spend(ObjectId(USERS[user]), when, token_type=token_type, tokens=tokens, rate=rate, model=model)
                )

    # Incrementally: rows before the cut, a refresh at the cut, then the rest and another refresh.
    insert([row for row in rows if end - timedelta(minutes=row[1] + 1) < cut])
    refresh_usage(now=cut)
    insert([row for row in rows if end - timedelta(minutes=row[1] + 1) >= cut])
    refresh_usage()
    expected = direct_aggregation(documents)
    assert_rollups_equal(expected)

    rebuild_usage()
    assert_rollups_equal(expected)
