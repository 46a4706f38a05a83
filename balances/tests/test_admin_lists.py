"""The balances and users changelists: columns, search, filters, ordering and the per-user pages."""

import pytest

from librechat.testing import create_user

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
BALANCES = "/admin/balances/balance/"
USERS = "/admin/balances/librechatuser/"


@pytest.fixture
def people(mongo):
    return {
        "dave": create_user("daveporter@example.com", 4_500_000, name="Dave Porter"),
        "erin": create_user("erin@example.com", 0, name="Erin Zero"),
        "frank": create_user("frank@example.com", 30_000_000, name="Frank Rich", role="ADMIN"),
        "grace": create_user("grace@example.com", 1_500_000, name="Grace Low", autoRefillEnabled=True),
        "nobal": create_user("nobalance@example.com", name="No Balance"),
    }


def emails_in(response) -> list[str]:
    return [row.user.email for row in response.context["cl"].result_list]


def test_it_lists_balances_by_credits_descending_with_usd(admin_client, people):
    response = admin_client.get(BALANCES)
    assert response.status_code == 200
    assert emails_in(response) == [
        "frank@example.com",
        "daveporter@example.com",
        "grace@example.com",
        "erin@example.com",
    ]
    assert "30,000,000 ($30.00)" in response.content.decode()


def test_it_sorts_by_email_and_by_credits_ascending(admin_client, people):
    by_email = admin_client.get(BALANCES, {"o": "1"})  # the user column, by email
    assert emails_in(by_email)[0] == "daveporter@example.com"
    ascending = admin_client.get(BALANCES, {"o": "2"})  # the credits column
    assert emails_in(ascending)[0] == "erin@example.com"


def test_search_finds_any_part_of_name_username_or_email(admin_client, people):
    assert emails_in(admin_client.get(BALANCES, {"q": "dave"})) == ["daveporter@example.com"]
    assert emails_in(admin_client.get(BALANCES, {"q": "RICH"})) == ["frank@example.com"]
    assert emails_in(admin_client.get(BALANCES, {"q": "a.b(c"})) == []


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"credits": "below_2000000"}, ["grace@example.com", "erin@example.com"]),
        ({"credits": "below_5000000"}, ["daveporter@example.com", "grace@example.com", "erin@example.com"]),
        ({"credits": "zero"}, ["erin@example.com"]),
        ({"credits_below": "1,600,000"}, ["grace@example.com", "erin@example.com"]),
        ({"role": "ADMIN"}, ["frank@example.com"]),
        ({"auto_refill": "on"}, ["grace@example.com"]),
    ],
)
def test_filters(admin_client, people, params, expected):
    assert emails_in(admin_client.get(BALANCES, params)) == expected


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"credits_below": "lots"}, "Available credits below (custom): Amount must be a whole number"),
        ({"credits_below": "1.5"}, "Available credits below (custom): Amount must be a whole number"),
        ({"credits_below": "²"}, "Available credits below (custom): Amount must be a whole number"),
        ({"credits_below": "100000000000000000000"}, "Available credits below (custom): Amount must be at most"),
        ({"credits": "below_²"}, "Available credits: Amount must be a whole number"),
        ({"credits": "below_1e6"}, "Available credits: Amount must be a whole number"),
        ({"credits": "sideways"}, "is not one of this filter"),
    ],
)
def test_an_invalid_filter_value_shows_why_and_matches_no_rows(viewer_client, people, params, message):
    response = viewer_client.get(BALANCES, params, follow=True)
    assert response.status_code == 200
    assert [m.message for m in response.context["messages"] if message in m.message] and len(
        response.context["messages"]
    ) == 1
    assert emails_in(response) == []


def test_select_all_under_an_invalid_filter_changes_nobody(admin_client, people):
    from librechat.testing import credits_of

    before = {name: credits_of(user_id) for name, user_id in people.items()}
    some_id = str(people["dave"])
    data = {"action": "top_up", "select_across": "1", "index": 0, "_selected_action": [some_id], "step": "choose"}
    url = f"{BALANCES}?credits_below=1.5"
    response = admin_client.post(url, {**data, "batch_id": "b", "amount_preset": "1000000"}, follow=True)
    assert response.status_code == 200
    assert "No LibreChat users are selected" in response.content.decode()
    assert {name: credits_of(user_id) for name, user_id in people.items()} == before


def test_duplicate_balance_documents_are_marked(admin_client, people, mongo):
    mongo.balances.insert_one({"user": people["dave"], "tokenCredits": 99})
    content = admin_client.get(BALANCES).content.decode()
    assert content.count("duplicate: LibreChat uses the user's earliest balance") == 1


def test_users_without_a_balance_document_have_their_own_filter(admin_client, people):
    response = admin_client.get(USERS, {"balance": "none"})
    assert [user.email for user in response.context["cl"].result_list] == ["nobalance@example.com"]
    assert "no balance" in response.content.decode()
    everyone = admin_client.get(USERS, {"q": "o"})
    assert len(everyone.context["cl"].result_list) == 5


def test_the_balance_page_edits_refill_settings_only(admin_client, people, mongo):
    balance_id = mongo.balances.find_one({"user": people["dave"]})["_id"]
    mongo.balances.update_one({"_id": balance_id}, {"$set": {"reservations": [{"id": "r"}]}})
    page = admin_client.get(f"{BALANCES}{balance_id}/change/")
    assert "librechat.yaml" in page.content.decode()
    mongo.balances.update_one({"_id": balance_id}, {"$inc": {"tokenCredits": -500_000}})  # LibreChat spends
    response = admin_client.post(
        f"{BALANCES}{balance_id}/change/",
        {
            "auto_refill_enabled": "true",
            "refill_interval_value": "7",
            "refill_interval_unit": "days",
            "refill_amount": "250000",
            "token_credits": "999999999",
        },
    )
    assert response.status_code == 302
    stored = mongo.balances.find_one({"_id": balance_id})
    assert stored["tokenCredits"] == 4_000_000
    assert stored["refillIntervalValue"] == 7 and stored["refillAmount"] == 250_000
    assert stored["reservations"] == [{"id": "r"}]
    from ledger.models import RefillChange

    history = {(row.field_name, row.before_value, row.after_value, row.actor) for row in RefillChange.objects.all()}
    assert history == {
        ("autoRefillEnabled", "", "True", "admin"),
        ("refillIntervalValue", "", "7", "admin"),
        ("refillIntervalUnit", "", "days", "admin"),
        ("refillAmount", "", "250000", "admin"),
    }
    assert set(RefillChange.objects.values_list("email", flat=True)) == {"daveporter@example.com"}


def test_a_bad_refill_unit_is_a_form_error(admin_client, people, mongo):
    balance_id = mongo.balances.find_one({"user": people["dave"]})["_id"]
    response = admin_client.post(f"{BALANCES}{balance_id}/change/", {"refill_interval_unit": "fortnights"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert "refillIntervalUnit" not in mongo.balances.find_one({"_id": balance_id})


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"auto_refill_enabled": "true"}, "refill_interval_value", "Required while auto-refill is on"),
        (
            {"auto_refill_enabled": "true", "refill_interval_value": "1", "refill_interval_unit": "days"},
            "refill_amount",
            "Required",
        ),
        ({"refill_interval_value": "0"}, "refill_interval_value", "greater than or equal to 1"),
        ({"refill_amount": "99999999999999"}, "refill_amount", "less than or equal to 1000000000"),
    ],
)
def test_refill_settings_are_checked_as_librechat_will_use_them(admin_client, people, mongo, fields, field, message):
    balance_id = mongo.balances.find_one({"user": people["dave"]})["_id"]
    response = admin_client.post(f"{BALANCES}{balance_id}/change/", fields)
    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors[field])
    stored = mongo.balances.find_one({"_id": balance_id})
    assert not {"autoRefillEnabled", "refillIntervalValue", "refillAmount"} & set(stored)


def test_the_user_page_shows_balance_transactions_and_history(admin_client, people, mongo):
    from ledger.changes import Kind, Target, change_one

    change_one(
        Target(people["dave"], "daveporter@example.com"),
        kind=Kind.ADD,
        amount_credits=10,
        source="cli",
        actor="ops",
        reason="welcome",
    )
    content = admin_client.get(f"{USERS}{people['dave']}/change/").content.decode()
    assert "4,500,010 credits" in content
    assert "welcome" in content and "ops" in content
    assert "credits</td><td>admin" in content
    assert "No balance document" in admin_client.get(f"{USERS}{people['nobal']}/change/").content.decode()


def test_the_index_shows_the_overview(admin_client, people, mongo):
    content = admin_client.get("/admin/").content.decode()
    assert 'id="balance-overview"' in content
    overview = admin_client.get("/admin/").context["home"].overview
    assert (overview.total_users, overview.users_with_balance, overview.users_without_balance) == (5, 4, 1)
    assert (overview.users_at_zero, overview.users_low) == (1, 1)
    assert overview.outstanding_credits == 36_000_000 and overview.outstanding_usd == "$36.00"
    assert overview.median_credits == 4_500_000 and overview.average_credits == 9_000_000


@pytest.mark.parametrize("url", [BALANCES, "/admin/balances/librechatuser/"])
def test_a_selection_that_is_not_an_id_is_a_message_not_an_error(admin_client, people, url):
    data = {"action": "top_up", "index": 0, "_selected_action": ["not-an-id"]}
    response = admin_client.post(url, data, follow=True)
    assert response.status_code == 200
    assert "not a LibreChat id" in response.content.decode()


def test_duplicate_documents_never_match_a_filter_nor_join_a_plan(admin_client, people, mongo):
    from librechat.testing import credits_of

    # Dave's earliest balance is well above 1M; a later duplicate holds 5,000 credits.
    mongo.balances.insert_one({"user": people["dave"], "tokenCredits": 5_000})
    assert "daveporter@example.com" not in emails_in(admin_client.get(BALANCES, {"credits": "below_1000000"}))
    assert "daveporter@example.com" not in emails_in(admin_client.get(BALANCES, {"credits_below": "1000000"}))
    before = credits_of(people["dave"])
    data = {"action": "top_up", "select_across": "1", "index": 0, "_selected_action": [str(people["dave"])]}
    page = admin_client.post(
        f"{BALANCES}?credits_below=1000000", {**data, "step": "choose", "batch_id": "b", "amount_preset": "1000000"}
    )
    assert "daveporter@example.com" not in page.content.decode()
    assert credits_of(people["dave"]) == before


def test_a_duplicate_created_after_a_filtered_page_is_excluded_on_the_next(admin_client, people, mongo):
    # The duplicates are looked up once a minute per worker, unless the number of balances changed.
    below_1m = {"credits": "below_1000000"}
    assert "daveporter@example.com" not in emails_in(admin_client.get(BALANCES, below_1m))
    mongo.balances.insert_one({"user": people["dave"], "tokenCredits": 5_000})
    assert "daveporter@example.com" not in emails_in(admin_client.get(BALANCES, below_1m))


def test_the_auto_refill_off_filter_includes_documents_without_the_field(admin_client, people):
    off = emails_in(admin_client.get(BALANCES, {"auto_refill": "off"}))
    on = emails_in(admin_client.get(BALANCES, {"auto_refill": "on"}))
    assert on == ["grace@example.com"] and "grace@example.com" not in off and len(off) == 3


def test_filter_counts_are_never_computed(admin_client, people):
    response = admin_client.get(BALANCES, {"_facets": "1"})
    assert response.status_code == 200 and response.context["cl"].model_admin.show_facets.name == "NEVER"


def test_the_balance_page_is_titled_with_the_users_name_and_email(admin_client, people, mongo):
    balance_id = mongo.balances.find_one({"user": people["dave"]})["_id"]
    content = admin_client.get(f"{BALANCES}{balance_id}/change/").content.decode()
    assert "Dave Porter &lt;daveporter@example.com&gt;" in content


def test_the_index_lists_and_review_count_users_by_their_effective_balance(
    admin_client, people, mongo, settings, monkeypatch
):
    from balances.admin import BalanceAdmin

    # Dave's later duplicate holds 5,000 credits; LibreChat uses his earliest (4,500,000).
    mongo.balances.insert_one({"user": people["dave"], "tokenCredits": 5_000})
    index = admin_client.get("/admin/")
    overview = index.context["home"].overview
    below_1m = admin_client.get(BALANCES, {"credits": "below_1000000"}).context["cl"]
    assert overview.users_low == below_1m.result_count == 1
    assert (overview.users_with_balance, overview.balance_documents) == (4, 5)
    assert "5 balance documents" in index.content.decode()
    assert overview.outstanding_credits == 36_000_000
    monkeypatch.setattr(BalanceAdmin, "list_per_page", 2)
    listing = admin_client.get(BALANCES)
    assert listing.context["cl"].result_count == 5
    assert "Select all 5 balances (4 users)" in listing.content.decode()
    assert "5 balances (4 users)" in listing.content.decode().split('class="paginator"')[1]
    settings.BULK_CONFIRM_THRESHOLD = 2
    data = {"action": "top_up", "select_across": "1", "index": 0, "_selected_action": [str(people["dave"])]}
    chosen = {**data, "step": "choose", "batch_id": "b", "amount_preset": "1000000"}
    review = admin_client.post(BALANCES, chosen)
    assert "The 5 selected balance documents belong to 4 users" in review.content.decode()
    applied = {**chosen, "step": "apply", "review_token": review.context["review_token"], "confirm_count": "4"}
    assert admin_client.post(BALANCES, applied).status_code == 302
    assert mongo.transactions.count_documents({"context": "admin"}) == 4


def test_the_index_overview_is_kept_a_minute_and_says_how_old_it_is(admin_client, people, mongo):
    first = admin_client.get("/admin/")
    assert "s ago" in first.content.decode()
    create_user("new@example.com", 0)
    assert admin_client.get("/admin/").context["home"].overview.total_users == 5
    from django.core.cache import cache

    cache.clear()
    assert admin_client.get("/admin/").context["home"].overview.total_users == 6


def test_auto_refill_without_the_field_reads_off_on_the_list_and_the_balance_page(
    admin_client, viewer_client, people, mongo
):
    balance_id = mongo.balances.find_one({"user": people["dave"]})["_id"]
    mongo.balances.update_one({"_id": balance_id}, {"$unset": {"autoRefillEnabled": ""}})
    assert '<td class="field-refill">off</td>' in admin_client.get(BALANCES, {"q": "dave"}).content.decode()
    editor_page = admin_client.get(f"{BALANCES}{balance_id}/change/").content.decode()
    assert "Unknown" not in editor_page
    assert 'type="checkbox" name="auto_refill_enabled"' in editor_page
    viewer_page = viewer_client.get(f"{BALANCES}{balance_id}/change/").content.decode()
    assert "icon-unknown" not in viewer_page and '<div class="readonly">off</div>' in viewer_page


def test_a_custom_threshold_replaces_the_preset_one(admin_client, people):
    import re

    content = admin_client.get(BALANCES, {"credits": "below_1000000"}).content.decode()
    custom_form = re.search(r'<form method="get">.*?name="credits_below".*?</form>', content, re.S).group(0)
    assert 'name="credits"' not in custom_form
    # Widened from the preset's 1,000,000 to 5,000,000 as the browser submits the custom form.
    assert emails_in(admin_client.get(BALANCES, {"credits_below": "5000000"})) == [
        "daveporter@example.com",
        "grace@example.com",
        "erin@example.com",
    ]
    typed = admin_client.get(BALANCES, {"credits_below": "5000000"}).content.decode()
    assert 'href="?credits=below_1000000"' in typed
