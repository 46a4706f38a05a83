"""Top up and set from the admin: choose, review, apply; once, and only for those allowed."""

import pytest
from django.test import override_settings

from ledger.models import BalanceChange, ChangeBatch
from ledger.reversal import reverse_batch
from librechat.testing import create_user, credit_transactions, credits_of

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
BALANCES = "/admin/balances/balance/"
USERS = "/admin/balances/librechatuser/"


@pytest.fixture
def alice(mongo):
    return create_user("alice@example.com", 1_000_000)


@pytest.fixture
def bob(mongo):
    return create_user("bob@example.com", 0)


def balance_id(mongo, user_id):
    return str(mongo.balances.find_one({"user": user_id})["_id"])


def post_action(client, url, action, selected, follow=False, **fields):
    data = {"action": action, "_selected_action": [str(pk) for pk in selected], "index": 0, **fields}
    return client.post(url, data, follow=follow)


def review(client, url, action, selected, **fields):
    """The first two steps; returns the review page and the fields (with its signed token) to apply."""
    first = post_action(client, url, action, selected)
    fields = {"batch_id": first.context["form"]["batch_id"].value(), **fields}
    page = post_action(client, url, action, selected, step="choose", **fields)
    assert page.context["step"] == "review", page.context["form"].errors
    return page, {**fields, "review_token": page.context["review_token"]}


def review_and_apply(client, url, action, selected, **fields):
    """Walk the three steps; return the final response."""
    _, reviewed_fields = review(client, url, action, selected, **fields)
    return post_action(client, url, action, selected, step="apply", **reviewed_fields)


def test_top_up_by_preset_asks_for_confirmation_then_applies(operator_client, mongo, alice, bob):
    selected = [balance_id(mongo, alice), balance_id(mongo, bob)]
    first = post_action(operator_client, BALANCES, "top_up", selected)
    assert first.status_code == 200 and "5,000,000 ($5.00)" in first.content.decode()
    page, fields = review(operator_client, BALANCES, "top_up", selected, amount_preset="5000000", reason="promo")
    assert "2 users" in page.content.decode() and "10,000,000 credits ($10.00)" in page.content.decode()
    assert credits_of(alice) == 1_000_000, "nothing changes before confirmation"
    done = post_action(operator_client, BALANCES, "top_up", selected, step="apply", **fields)
    assert done.status_code == 302
    assert (credits_of(alice), credits_of(bob)) == (6_000_000, 5_000_000)
    batch = ChangeBatch.objects.get(batch_id=fields["batch_id"])
    assert (batch.actor, batch.source, batch.reason) == ("operator", "admin", "promo")
    assert batch.changes.count() == 2


def test_a_double_submit_applies_once(operator_client, mongo, alice):
    selected = [balance_id(mongo, alice)]
    _, fields = review(operator_client, BALANCES, "top_up", selected, amount_preset="custom", amount="1234")
    for _ in range(2):
        post_action(operator_client, BALANCES, "top_up", selected, step="apply", **fields)
    assert credits_of(alice) == 1_001_234
    assert len(credit_transactions(alice)) == 1


@pytest.mark.parametrize(
    "changed",
    [{"amount": "999999"}, {"reason": "something else"}, {"batch_id": "another-batch"}, {"review_token": "forged"}],
)
def test_apply_refuses_anything_but_what_was_reviewed(operator_client, mongo, alice, changed):
    selected = [balance_id(mongo, alice)]
    _, fields = review(operator_client, BALANCES, "top_up", selected, amount_preset="custom", amount="1234", reason="r")
    response = post_action(operator_client, BALANCES, "top_up", selected, step="apply", **{**fields, **changed})
    assert response.status_code == 200 and response.context["step"] == "review"
    assert "review" in " ".join(m.message for m in response.context["messages"])
    assert credits_of(alice) == 1_000_000 and not BalanceChange.objects.exists()


def test_apply_refuses_a_selection_other_than_the_reviewed_one(operator_client, mongo, alice, bob):
    _, fields = review(operator_client, BALANCES, "top_up", [balance_id(mongo, alice)], amount_preset="1000000")
    both = [balance_id(mongo, alice), balance_id(mongo, bob)]
    response = post_action(operator_client, BALANCES, "top_up", both, step="apply", **fields)
    assert response.status_code == 200 and response.context["step"] == "review"
    assert (credits_of(alice), credits_of(bob)) == (1_000_000, 0)


def test_set_balance_writes_the_difference(operator_client, mongo, alice):
    review_and_apply(operator_client, BALANCES, "set_balance", [balance_id(mongo, alice)], amount="250000")
    assert credits_of(alice) == 250_000
    assert credit_transactions(alice)[0]["tokenValue"] == -750_000


def test_users_without_a_balance_are_creditable_from_the_users_list(operator_client, mongo):
    carol = create_user("carol@example.com")
    review_and_apply(operator_client, USERS, "top_up", [carol], amount_preset="1000000")
    assert credits_of(carol) == 1_000_000


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"amount_preset": "custom", "amount": "1.5"}, "whole number"),
        ({"amount_preset": "custom", "amount": "-3"}, "whole number"),
        ({"amount_preset": "custom", "amount": "²"}, "whole number"),
        ({"amount_preset": "custom", "amount": "0"}, "at least 1"),
        ({"amount_preset": "custom", "amount": "2000000000"}, "at most 1,000,000,000"),
        ({"amount_preset": "custom", "amount": ""}, "whole number"),
    ],
)
def test_bad_amounts_are_form_errors_and_change_nothing(operator_client, mongo, alice, fields, error):
    selected = [balance_id(mongo, alice)]
    response = post_action(operator_client, BALANCES, "top_up", selected, step="apply", batch_id="b", **fields)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert credits_of(alice) == 1_000_000 and not ChangeBatch.objects.exists()


@override_settings(BULK_CONFIRM_THRESHOLD=2)
def test_large_batches_require_typing_the_count(admin_client, mongo):
    users = [create_user(f"u{i}@example.com", 0) for i in range(3)]
    _, fields = review(admin_client, USERS, "top_up", users[:1], amount_preset="1000000", select_across="1")
    for typed in ["", "abc", "2"]:
        untyped = post_action(admin_client, USERS, "top_up", users[:1], step="apply", confirm_count=typed, **fields)
        assert untyped.context["step"] == "review" and "Type 3 to confirm" in untyped.content.decode()
    assert all(credits_of(u) == 0 for u in users)
    post_action(admin_client, USERS, "top_up", users[:1], step="apply", confirm_count="3", **fields)
    assert all(credits_of(u) == 1_000_000 for u in users)


def test_all_matching_the_filter_means_the_filter(admin_client, mongo, alice, bob):
    url = f"{BALANCES}?credits=zero"
    review_and_apply(admin_client, url, "top_up", [balance_id(mongo, bob)], amount_preset="1000000", select_across="1")
    assert (credits_of(alice), credits_of(bob)) == (1_000_000, 1_000_000)


@pytest.mark.parametrize("spelling", ["1", "True", "true", "on", "yes", "2", " 1", "x"])
@pytest.mark.parametrize("url", [BALANCES, USERS])
def test_only_superusers_set_all_matching_however_it_is_spelled(operator_client, mongo, alice, bob, url, spelling):
    selected = [balance_id(mongo, alice)] if url == BALANCES else [alice]
    fields = {"select_across": spelling, "batch_id": "x", "amount": "0"}
    for step in ("choose", "apply"):
        response = post_action(operator_client, url, "set_balance", selected, step=step, **fields)
        assert response.status_code == 302
    assert (credits_of(alice), credits_of(bob)) == (1_000_000, 0)
    assert not BalanceChange.objects.exists()


@pytest.mark.parametrize("spelling", ["0", "", "false", "False"])
def test_a_false_select_across_means_only_the_selected_rows(operator_client, mongo, alice, bob, spelling):
    review_and_apply(
        operator_client, BALANCES, "set_balance", [balance_id(mongo, alice)], amount="5", select_across=spelling
    )
    assert (credits_of(alice), credits_of(bob)) == (5, 0)


def test_viewers_cannot_change_balances(viewer_client, mongo, alice):
    page = viewer_client.get(BALANCES)
    assert page.status_code == 200
    assert "top_up" not in page.content.decode()
    post_action(
        viewer_client,
        BALANCES,
        "top_up",
        [balance_id(mongo, alice)],
        step="apply",
        batch_id="v",
        amount_preset="1000000",
    )
    assert credits_of(alice) == 1_000_000
    assert (
        viewer_client.post(f"{BALANCES}{balance_id(mongo, alice)}/change/", {"refill_amount": "5"}).status_code == 403
    )


def test_a_preset_plus_a_typed_amount_is_a_form_error_never_a_guess(operator_client, mongo, alice):
    selected = [balance_id(mongo, alice)]
    response = post_action(
        operator_client,
        BALANCES,
        "top_up",
        selected,
        step="choose",
        batch_id="b",
        amount_preset="1000000",
        amount="2500000",
    )
    assert response.context["step"] == "choose"
    assert "Choose &quot;custom amount&quot; to use the typed amount" in response.content.decode()
    assert not ChangeBatch.objects.exists()


def test_the_review_names_the_first_users_with_before_and_after(operator_client, mongo):
    users = [create_user(f"user{i:02}@example.com", i) for i in range(23)]
    page, _ = review(operator_client, USERS, "top_up", users, amount_preset="custom", amount="100")
    content = page.content.decode()
    assert content.count("<tr><td>user") == 20 and "and 3 more users." in content
    assert "<td>user00@example.com</td><td>0</td><td>100</td>" in content
    assert 'class="button cancel-link">Cancel</a>' in content


def test_a_posted_batch_id_of_the_tools_own_families_is_refused(operator_client, mongo, alice):
    selected = [balance_id(mongo, alice)]
    promo = ChangeBatch.objects.get(
        batch_id=review_and_apply(
            operator_client, BALANCES, "top_up", selected, amount_preset="1000000"
        ).wsgi_request.POST["batch_id"]
    )
    for batch_id in (f"reverse-{promo.pk}", "request-7", "API-x", "csv-abc", "policy-1", "reconcile-1"):
        page = post_action(
            operator_client, BALANCES, "top_up", selected, step="choose", batch_id=batch_id, amount_preset="1000000"
        )
        assert page.status_code == 200 and page.context["step"] == "choose"
        assert "are named by the tool itself" in page.content.decode()
    assert list(ChangeBatch.objects.values_list("batch_id", flat=True)) == [promo.batch_id]
    assert credits_of(alice) == 2_000_000
    reverse_batch(promo, actor="operator", reason="sent by mistake")
    assert credits_of(alice) == 1_000_000, "its reversal was not pre-claimed"


def test_a_top_up_from_a_users_page_returns_there_showing_the_new_balance(operator_client, mongo, alice):
    page_url = f"{USERS}{alice}/change/"
    assert 'name="next" value="' + page_url in operator_client.get(page_url).content.decode()
    first = post_action(operator_client, USERS, "top_up", [alice], next=page_url)
    fields = {"batch_id": first.context["form"]["batch_id"].value(), "amount_preset": "5000000", "next": page_url}
    page = post_action(operator_client, USERS, "top_up", [alice], step="choose", **fields)
    fields["review_token"] = page.context["review_token"]
    done = post_action(operator_client, USERS, "top_up", [alice], step="apply", follow=True, **fields)
    assert done.redirect_chain[-1][0] == page_url
    assert credits_of(alice) == 6_000_000
    assert "6,000,000 credits" in done.content.decode()


def test_a_foreign_return_address_is_ignored(operator_client, mongo, alice):
    _, fields = review(operator_client, USERS, "top_up", [alice], amount_preset="5000000", next="https://evil.example/")
    done = post_action(operator_client, USERS, "top_up", [alice], step="apply", **fields)
    assert done.status_code == 302 and done["Location"] == USERS
    assert credits_of(alice) == 6_000_000


def test_the_amount_step_names_the_users_and_their_balances(operator_client, mongo, alice, bob):
    others = [create_user(f"user{n}@example.com", n * 1_000_000) for n in range(1, 6)]
    nobal = create_user("nobalance@example.com")
    content = post_action(operator_client, USERS, "top_up", [alice]).content.decode()
    assert "alice@example.com: 1,000,000 credits now" in content
    content = post_action(operator_client, USERS, "set_balance", [alice, bob, nobal, *others]).content.decode()
    assert "8 selected rows" in content
    assert "alice@example.com: 1,000,000 credits now" in content and "bob@example.com: 0 credits now" in content
    assert "nobalance@example.com: no balance document" in content
    assert "and 3 more" in content
