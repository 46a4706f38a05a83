"""LibreChat's own credits rows (auto-refill, its scripts, other tools) beside ours, marked."""

import pytest
from bson import ObjectId

from ledger.changes import Kind, Target, change_one
from librechat import documents
from librechat.testing import create_user

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
CREDITS = "/admin/audit/balancechange/librechat-credits/"


@pytest.fixture
def alice(mongo):
    user_id = create_user("alice@example.com", 100)
    mongo.transactions.insert_one(documents.credits_transaction(user_id, 10_000, context="autoRefill"))
    change_one(Target(user_id, "alice@example.com"), kind=Kind.ADD, amount_credits=777, source="cli", actor="ops")
    return user_id


def test_the_history_lists_every_credits_row_and_marks_which_are_ours(viewer_client, alice):
    response = viewer_client.get(CREDITS)
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(row.amount_credits, row.written_by_us) for row in rows] == [(777, True), (10_000, False)]
    assert rows[0].email == "alice@example.com" and rows[1].context == "autoRefill"
    content = response.content.decode()
    assert "LibreChat / other" in content and "command line, ops" in content


def test_the_user_page_shows_librechats_own_credits_beside_ours(viewer_client, mongo, alice):
    someone_else = create_user("bob@example.com", 0)
    mongo.transactions.insert_one(documents.credits_transaction(someone_else, 5, context="admin"))
    response = viewer_client.get(f"/admin/balances/librechatuser/{alice}/change/")
    assert response.status_code == 200
    assert [(row.amount_credits, row.written_by_us) for row in response.context["credits_rows"]] == [
        (777, True),
        (10_000, False),
    ]
    assert "LibreChat / other" in response.content.decode()


def test_it_pages_by_id_and_narrows_to_one_user(viewer_client, mongo, alice):
    bob = create_user("bob@example.com", 0)
    mongo.transactions.insert_many([documents.credits_transaction(bob, n) for n in range(1, 56)])
    first = viewer_client.get(CREDITS)
    assert len(first.context["rows"]) == 50 and first.context["next_before"]
    second = viewer_client.get(CREDITS, {"before": first.context["next_before"]})
    assert len(second.context["rows"]) == 7 and not second.context["next_before"]
    assert {row.transaction_id for row in first.context["rows"]}.isdisjoint(
        row.transaction_id for row in second.context["rows"]
    )
    only_alice = viewer_client.get(CREDITS, {"user": str(alice)})
    assert [row.amount_credits for row in only_alice.context["rows"]] == [777, 10_000]


def test_bad_paging_or_user_input_is_a_message_not_an_error(viewer_client, alice):
    assert viewer_client.get(CREDITS, {"before": "nope"}).context["rows"] == []
    response = viewer_client.get(CREDITS, {"user": "nope"})
    assert response.status_code == 200 and "not a LibreChat user id" in response.content.decode()
    assert viewer_client.get(CREDITS, {"user": str(ObjectId())}).context["rows"] == []
