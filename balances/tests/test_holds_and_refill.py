"""Credits held by LibreChat's in-flight requests, and refill timing, wherever a balance is shown or changed."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from balances.tests.test_admin_actions import balance_id, review
from librechat.testing import create_user

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
BALANCES = "/admin/balances/balance/"
USERS = "/admin/balances/librechatuser/"


def hold(amount, minutes, reservation_id="r1"):
    return {"id": reservation_id, "amount": amount, "expiresAt": datetime.now(UTC) + timedelta(minutes=minutes)}


@pytest.fixture
def people(mongo):
    return {
        # 1.5M credits, 600,000 of them held by a request in flight: 900,000 available.
        "hana": create_user("hana@example.com", 1_500_000, reservations=[hold(600_000, 10)], reservedCredits=600_000),
        # A crashed request's hold: expired, so it no longer counts.
        "ivan": create_user("ivan@example.com", 1_500_000, reservations=[hold(900_000, -10)], reservedCredits=900_000),
        # Everything held: nothing available.
        "jo": create_user("jo@example.com", 500, reservations=[hold(500, 10)], reservedCredits=500),
        "kim": create_user("kim@example.com", 3_000_000),
    }


def emails_in(response) -> list[str]:
    return sorted(row.user.email for row in response.context["cl"].result_list)


def test_the_balances_list_shows_available_and_held_credits(admin_client, people):
    response = admin_client.get(BALANCES)
    assert response.status_code == 200
    rows = {row.user.email: row.spendable for row in response.context["cl"].result_list}
    assert (rows["hana@example.com"].available_credits, rows["hana@example.com"].held_credits) == (900_000, 600_000)
    assert (rows["ivan@example.com"].available_credits, rows["ivan@example.com"].held_credits) == (1_500_000, 0)
    assert '900,000<br><span class="quiet">600,000 held</span>' in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"credits": "below_1000000"}, ["hana@example.com", "jo@example.com"]),
        ({"credits_below": "950000"}, ["hana@example.com", "jo@example.com"]),
        ({"credits": "zero"}, ["jo@example.com"]),
    ],
)
def test_the_low_balance_filters_are_on_available_credits(admin_client, people, query, expected):
    response = admin_client.get(BALANCES, query)
    assert response.status_code == 200
    assert emails_in(response) == expected
    assert "available credits" in response.content.decode()


def test_the_balance_page_lists_each_unexpired_hold_with_its_expiry(admin_client, people, mongo):
    page = admin_client.get(f"{BALANCES}{balance_id(mongo, people['hana'])}/change/").content.decode()
    assert "900,000 ($0.90) after 600,000 credits held by requests in flight" in page
    assert "600,000 credits until " in page
    expired = admin_client.get(f"{BALANCES}{balance_id(mongo, people['ivan'])}/change/").content.decode()
    assert (
        "1,500,000 ($1.50) (nothing held by requests in flight)" in expired and "900,000 credits until" not in expired
    )


def test_the_user_page_shows_available_credits_and_holds(admin_client, people):
    page = admin_client.get(f"{USERS}{people['hana']}/change/").content.decode()
    assert 'id="available-credits"' in page and "600,000 credits until " in page


def test_a_set_below_what_is_held_warns_in_its_review_naming_the_users(operator_client, people, mongo):
    selected = [balance_id(mongo, people[name]) for name in ("hana", "ivan", "kim")]
    page, _ = review(operator_client, BALANCES, "set_balance", selected, amount="100000")
    content = page.content.decode()
    assert 'id="below-holds"' in content and "hana@example.com" in content.split('id="below-holds"')[1]
    assert page.context["plan"]["below_holds"] == ["hana@example.com"]
    safe, _ = review(operator_client, BALANCES, "set_balance", selected, amount="700000")
    assert 'id="below-holds"' not in safe.content.decode()


def test_list_balances_shows_available_and_held(people):
    out = io.StringIO()
    call_command("list_balances", "--format", "csv", "--sort", "email", stdout=out)
    rows = {row["email"]: row for row in csv.DictReader(io.StringIO(out.getvalue()))}
    assert (rows["hana@example.com"]["available"], rows["hana@example.com"]["held"]) == ("900000", "600000")
    assert (rows["ivan@example.com"]["available"], rows["ivan@example.com"]["held"]) == ("1500000", "0")


def test_the_exports_carry_available_and_held(admin_client, people):
    from balances.resources import BalanceExportResource, UserExportResource

    for url, resource in ((BALANCES, BalanceExportResource), (USERS, UserExportResource)):
        prefix = resource.__name__.lower()
        data = {"format": "0", "resource": "0", **{f"{prefix}_{n}": "on" for n in resource.Meta.export_order}}
        response = admin_client.post(f"{url}export/", data)
        assert response.status_code == 200
        rows = {row["email"]: row for row in csv.DictReader(io.StringIO(response.content.decode()))}
        assert (rows["hana@example.com"]["available"], rows["hana@example.com"]["held"]) == ("900000", "600000")
        assert (rows["jo@example.com"]["available"], rows["kim@example.com"]["held"]) == ("0", "0")


def test_the_overview_counts_holds(admin_client, people):
    response = admin_client.get("/admin/")
    overview = response.context["home"].overview
    assert overview.held_credits == 600_500
    assert overview.available_credits == 1_500_000 + 1_500_000 + 500 + 3_000_000 - 600_500
    assert (overview.users_at_zero, overview.users_low) == (1, 2)
    assert "Held by requests in flight" in response.content.decode()


REFILL_FORM = {"auto_refill_enabled": "true", "refill_interval_value": "7", "refill_interval_unit": "days"}


def test_enabling_auto_refill_starts_its_interval_now(admin_client, people, mongo):
    before = datetime.now(UTC).replace(tzinfo=None)
    url = f"{BALANCES}{balance_id(mongo, people['kim'])}/change/"
    response = admin_client.post(url, {**REFILL_FORM, "refill_amount": "1000"})
    assert response.status_code == 302
    stored = mongo.balances.find_one({"user": people["kim"]})
    assert stored["autoRefillEnabled"] is True and stored["lastRefill"] >= before.replace(microsecond=0)
    page = admin_client.get(url).content.decode()
    assert f"{(stored['lastRefill'] + timedelta(days=7)):%Y-%m-%d %H:%M:%S} UTC" in page


def test_enabling_auto_refill_keeps_an_existing_last_refill(admin_client, mongo):
    last_refill = datetime(2026, 1, 31, 9, 0)
    user = create_user("lee@example.com", 0, lastRefill=last_refill, refillIntervalUnit="months")
    url = f"{BALANCES}{balance_id(mongo, user)}/change/"
    admin_client.post(
        url, {**REFILL_FORM, "refill_interval_unit": "months", "refill_interval_value": "1", "refill_amount": "5"}
    )
    assert mongo.balances.find_one({"user": user})["lastRefill"] == last_refill
    assert "due now" in admin_client.get(url).content.decode()


def test_a_balance_page_says_when_auto_refill_is_off(admin_client, people, mongo):
    assert (
        "auto-refill is off"
        in admin_client.get(f"{BALANCES}{balance_id(mongo, people['kim'])}/change/").content.decode()
    )
