"""Numbers in the admin as people read them: thousands separators, dollars to the cent, "< $0.01"
for a cost too small to show, counts with the right plural; never a raw float such as -3350001.0."""

from datetime import UTC, datetime

import pytest

from librechat import documents
from librechat.credits import format_count, format_credits, format_credits_and_usd, format_dollars, format_usd
from librechat.testing import create_user

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


def test_the_shared_functions_format_for_people():
    assert format_credits(-3350001.0) == "-3,350,001"
    assert format_credits_and_usd(-3350001.0) == "-3,350,001 (-$3.35)"
    assert format_usd(4_000) == "< $0.01" and format_usd(-4_000) == "< $0.01"
    assert format_usd(0) == "$0.00" and format_usd(1_234_567_890) == "$1,234.57"
    assert format_dollars(0.004) == "< $0.01" and format_dollars(1234.5) == "$1,234.50"
    assert format_dollars(float("nan")) == "" and format_dollars("abc") == ""
    assert (format_count(1, "user"), format_count(2, "user"), format_count(1250, "user")) == (
        "1 user",
        "2 users",
        "1,250 users",
    )
    assert format_count(2, "entry,entries") == "2 entries"


def test_a_float_balance_is_shown_with_separators_in_the_lists_and_on_the_users_page(admin_client, mongo):
    alice = create_user("alice@example.com", -3350001.0)
    for url in [
        "/admin/balances/balance/",
        "/admin/balances/librechatuser/",
        f"/admin/balances/librechatuser/{alice}/",
    ]:
        response = admin_client.get(url, follow=True)
        content = response.content.decode()
        assert response.status_code == 200
        assert "-3,350,001" in content and "3350001" not in content, url


def test_a_cost_under_a_cent_is_shown_as_less_than_a_cent(admin_client, mongo):
    alice = create_user("alice@example.com", 1_000_000)
    when = datetime(2026, 1, 2, tzinfo=UTC)
    # 2,000 tokens at 2 credits each: 4,000 credits, $0.004.
    row = documents.spending_transaction(
        alice, token_type="prompt", tokens=2_000, rate=2.0, model="gpt-4o", conversation_id="c1", created_at=when
    )
    mongo.transactions.insert_one(row)
    content = admin_client.get("/admin/balances/transaction/").content.decode()
    assert "&lt; $0.01" in content and "$0.00" not in content
    assert "-4,000" in content and "-2,000" in content and "-4000.0" not in content and "-2000" not in content
