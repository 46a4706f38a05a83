"""LibreChat's transactions in the admin: a page reads what it shows, however large the collection."""

import pytest

from balances.admin import LibreChatPaginator, TransactionAdmin
from librechat.documents import credits_transaction
from librechat.testing import create_user

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
TRANSACTIONS = "/admin/balances/transaction/"


@pytest.fixture
def rows(mongo, monkeypatch):
    monkeypatch.setattr(TransactionAdmin, "list_per_page", 2)
    alice = create_user("alice@example.com", 0)
    documents = [credits_transaction(alice, amount) for amount in (1_000, 2_000, 3_000, 4_000, 5_000)]
    mongo.transactions.insert_many(documents)
    return [document["_id"] for document in documents]


def ids_in(response) -> list:
    assert response.status_code == 200
    return [row.pk for row in response.context["cl"].result_list]


def test_older_rows_are_paged_by_id_newest_first(admin_client, rows):
    first = admin_client.get(TRANSACTIONS)
    assert ids_in(first) == [rows[4], rows[3]]
    assert "alice@example.com" in first.content.decode()
    older_url = first.context["cl"].older_rows_url
    assert f"before={rows[3]}" in older_url
    second = admin_client.get(TRANSACTIONS + older_url)
    assert ids_in(second) == [rows[2], rows[1]]
    assert "back to the newest" in second.content.decode()
    assert ids_in(admin_client.get(TRANSACTIONS, {"before": str(rows[1])})) == [rows[0]]


def test_a_bad_older_than_id_is_a_message_and_no_rows(admin_client, rows):
    response = admin_client.get(TRANSACTIONS, {"before": "not-an-id"})
    assert ids_in(response) == [] and "is not a row id" in response.content.decode()


def test_a_filtered_count_stops_at_the_limit_and_says_more_than(admin_client, rows, monkeypatch):
    monkeypatch.setattr(LibreChatPaginator, "count_limit", 3)
    response = admin_client.get(TRANSACTIONS, {"token_type__exact": "credits"})
    assert response.context["cl"].result_count == 3 and response.context["cl"].paginator.count_is_capped
    assert "more than 3 transactions" in response.content.decode()
    unfiltered = admin_client.get(TRANSACTIONS)
    assert unfiltered.context["cl"].result_count == 5  # the collection's own count, no scan


def test_the_context_filter_offers_librechats_contexts_without_reading_the_collection(admin_client, rows):
    response = admin_client.get(TRANSACTIONS, {"context__exact": "admin"})
    assert len(ids_in(response)) == 2
    context_filter = next(spec for spec in response.context["cl"].filter_specs if spec.title == "context")
    assert ("autoRefill", "autoRefill") in context_filter.lookup_choices


def test_sorting_by_another_column_still_works(admin_client, rows):
    response = admin_client.get(TRANSACTIONS, {"o": "2"})  # credits, ascending
    assert ids_in(response) == [rows[0], rows[1]]
    assert not getattr(response.context["cl"], "older_rows_url", "")
