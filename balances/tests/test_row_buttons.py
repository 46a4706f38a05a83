"""Each row of the balances and users lists has "Top up" and "Set": the bulk action's steps for that
one user, then back to the list as the operator left it."""

import re
from html import unescape

import pytest

from ledger.models import BalanceChange, ChangeBatch
from librechat.testing import create_user, credits_of

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
BALANCES = "/admin/balances/balance/"
USERS = "/admin/balances/librechatuser/"


@pytest.fixture
def alice(mongo):
    return create_user("alice@example.com", 1_000_000)


def row_button_url(client, list_url: str, label: str) -> str:
    """The address of the first row's button with this label, as the list page links it."""
    content = client.get(list_url).content.decode().replace("\xa0", " ")
    found = re.search(rf'<a class="button row-button" href="([^"]+)">{label}</a>', content)
    assert found, f"no {label} button on {list_url}"
    return unescape(found.group(1))


def walk_steps(client, url: str, **fields):
    """The choose page, then the review, then apply; returns the apply response (not followed)."""
    choose = client.get(url)
    assert choose.status_code == 200 and choose.context["step"] == "choose"
    fields = {"batch_id": choose.context["form"]["batch_id"].value(), **fields}
    review = client.post(url, {**fields, "step": "choose"})
    assert review.context["step"] == "review", review.context["form"].errors
    return client.post(url, {**fields, "step": "apply", "review_token": review.context["review_token"]})


def test_a_rows_top_up_returns_to_the_same_filtered_list(operator_client, mongo, alice):
    create_user("bob@example.com", 0)
    list_url = f"{BALANCES}?q=alice&role=USER&o=3"
    url = row_button_url(operator_client, list_url, "Top up")
    assert url.startswith(f"{BALANCES}") and "/credits/top_up/?next=" in url
    done = walk_steps(operator_client, url, amount_preset="5000000", reason="row button")
    assert done.status_code == 302 and done["Location"] == list_url
    assert credits_of(alice) == 6_000_000
    change = BalanceChange.objects.get()
    assert (change.email, change.delta_credits, change.batch.reason) == ("alice@example.com", 5_000_000, "row button")
    assert (change.batch.actor, change.batch.source) == ("operator", ChangeBatch.Source.ADMIN)


def test_a_rows_set_on_the_users_list_sets_that_users_balance(operator_client, mongo, alice):
    list_url = f"{USERS}?q=alice"
    url = row_button_url(operator_client, list_url, "Set")
    review = operator_client.get(url)
    assert "alice@example.com: 1,000,000 credits now" in review.content.decode()
    done = walk_steps(operator_client, url, amount="250")
    assert done["Location"] == list_url
    assert credits_of(alice) == 250
    assert BalanceChange.objects.get().after_credits == 250


def test_cancel_on_the_review_returns_to_the_list(operator_client, mongo, alice):
    list_url = f"{BALANCES}?q=alice"
    url = row_button_url(operator_client, list_url, "Top up")
    choose = operator_client.get(url)
    fields = {"batch_id": choose.context["form"]["batch_id"].value(), "amount_preset": "5000000", "step": "choose"}
    review = operator_client.post(url, fields)
    assert review.context["cancel_url"] == list_url
    assert f'<a href="{list_url}" class="button cancel-link">Cancel</a>' in review.content.decode()
    assert "/static/web/review_page.css" in review.content.decode(), "styled as the admin's own cancel link"
    assert credits_of(alice) == 1_000_000


@pytest.mark.parametrize("unsafe", ["https://evil.example/", "//evil.example/admin/", "javascript:alert(1)"])
def test_an_unsafe_next_is_ignored(operator_client, mongo, alice, unsafe):
    balance = mongo.balances.find_one({"user": alice})["_id"]
    url = f"{BALANCES}{balance}/credits/top_up/?next={unsafe}"
    assert operator_client.get(url).context["cancel_url"] == BALANCES
    done = walk_steps(operator_client, url, amount_preset="5000000")
    assert done.status_code == 302 and done["Location"] == BALANCES
    assert credits_of(alice) == 6_000_000


def test_the_buttons_and_their_pages_need_the_change_credits_permission(viewer_client, mongo, alice):
    assert "row-button" not in viewer_client.get(BALANCES).content.decode()
    assert "row-button" not in viewer_client.get(USERS).content.decode()
    response = viewer_client.get(f"{USERS}{alice}/credits/top_up/")
    assert response.status_code == 403
    assert viewer_client.post(f"{USERS}{alice}/credits/top_up/", {"step": "choose"}).status_code == 403
    assert credits_of(alice) == 1_000_000


def test_a_get_never_writes(operator_client, mongo, alice):
    url = f"{USERS}{alice}/credits/set_balance/?step=apply&amount=5"
    assert operator_client.get(url).context["step"] == "choose"
    assert credits_of(alice) == 1_000_000 and not ChangeBatch.objects.exists()


@pytest.mark.parametrize(
    "path", ["not-an-id/credits/top_up/", "{alice}/credits/delete/", "ffffffffffffffffffffffff/credits/top_up/"]
)
def test_an_unknown_user_or_button_changes_nothing(operator_client, mongo, alice, path):
    response = operator_client.get(USERS + path.format(alice=alice), follow=True)
    assert response.status_code in (200, 404)
    assert credits_of(alice) == 1_000_000 and not ChangeBatch.objects.exists()
