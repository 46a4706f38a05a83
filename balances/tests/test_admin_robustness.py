"""Pages that must answer for every visitor and every document: viewers, deleted users, odd filter values."""

import pytest

from librechat.testing import create_user, credits_of

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
BALANCES = "/admin/balances/balance/"
USERS = "/admin/balances/librechatuser/"


@pytest.fixture
def people(mongo):
    return {
        "alice": create_user("alice@example.com", 4_500_000, name="Alice", autoRefillEnabled=True),
        "bob": create_user("bob@example.com", 500_000, name="Bob"),
        "nobal": create_user("nobalance@example.com", name="No Balance"),
    }


def test_a_viewer_sees_a_balance_page(viewer_client, people, mongo):
    balance_id = mongo.balances.find_one({"user": people["alice"]})["_id"]
    response = viewer_client.get(f"{BALANCES}{balance_id}/change/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "alice@example.com" in content and "4,500,000" in content
    assert 'name="refill_amount"' not in content  # shown, not editable


def test_the_balance_page_of_a_deleted_user_answers(admin_client, people, mongo):
    balance_id = mongo.balances.find_one({"user": people["bob"]})["_id"]
    mongo.users.delete_one({"_id": people["bob"]})
    response = admin_client.get(f"{BALANCES}{balance_id}/change/")
    assert response.status_code == 200
    assert "deleted" in response.content.decode()
    listing = admin_client.get(BALANCES)
    assert listing.status_code == 200 and f"(deleted user {people['bob']})" in listing.content.decode()


def test_the_balance_page_of_a_deleted_user_saves_refill_settings(admin_client, people, mongo):
    balance_id = mongo.balances.find_one({"user": people["bob"]})["_id"]
    mongo.users.delete_one({"_id": people["bob"]})
    form = {"auto_refill_enabled": "on", "refill_interval_value": "1", "refill_interval_unit": "days"}
    response = admin_client.post(f"{BALANCES}{balance_id}/change/", {**form, "refill_amount": "1000"})
    assert response.status_code == 302
    assert mongo.balances.find_one({"_id": balance_id})["refillAmount"] == 1000


TRANSACTIONS = "/admin/balances/transaction/"
UNKNOWN_VALUES = [
    (BALANCES, {"auto_refill": "yes"}),
    (BALANCES, {"auto_refill": ["on", "maybe"]}),
    (BALANCES, {"auto_refill": ["maybe", "on"]}),
    (BALANCES, {"credits": "below_lots"}),
    (BALANCES, {"credits": ["zero", "below_1000000"]}),
    (BALANCES, {"credits_below": "x"}),
    (BALANCES, {"credits_below": ["1000000", "9000000"]}),
    (BALANCES, {"role": "OWNER"}),
    (BALANCES, {"role": ["USER", "ADMIN"]}),
    (USERS, {"balance": "maybe"}),
    (USERS, {"balance": ["yes", "none"]}),
    (USERS, {"role": "user"}),
    (USERS, {"provider__exact": ["local", "google"]}),
    (TRANSACTIONS, {"token_type__exact": "refund"}),
    (TRANSACTIONS, {"context__exact": ["message", "admin"]}),
]


@pytest.mark.parametrize(("url", "params"), UNKNOWN_VALUES)
def test_an_unknown_filter_value_shows_why_and_matches_no_rows(admin_client, people, url, params):
    response = admin_client.get(url, params)
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
    assert "No rows are shown." in response.content.decode()


@pytest.mark.parametrize(("url", "params"), [(url, params) for url, params in UNKNOWN_VALUES if url != TRANSACTIONS])
def test_select_all_under_an_unknown_filter_value_credits_nobody(admin_client, people, url, params):
    from urllib.parse import urlencode

    before = {name: credits_of(user_id) for name, user_id in people.items()}
    action = {"action": "top_up", "select_across": "1", "index": 0, "_selected_action": [str(people["alice"])]}
    chosen = {**action, "step": "choose", "batch_id": "b", "amount_preset": "1000000"}
    response = admin_client.post(f"{url}?{urlencode(params, doseq=True)}", chosen, follow=True)
    assert response.status_code == 200
    assert "No LibreChat users are selected" in response.content.decode()
    assert {name: credits_of(user_id) for name, user_id in people.items()} == before


def test_an_unknown_provider_matches_exactly_nobody(admin_client, people):
    response = admin_client.get(USERS, {"provider__exact": "myspace"})
    assert response.status_code == 200 and list(response.context["cl"].result_list) == []
    assert len(admin_client.get(USERS, {"provider__exact": "local"}).context["cl"].result_list) == 3
