"""The balances list as an operator uses it in a browser: search as you type, a row's Top up and back."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from ledger.models import BalanceChange
from librechat.testing import create_user, credits_of, log_in_in_browser

pytestmark = [pytest.mark.django_db(databases=["default", "librechat"], transaction=True), pytest.mark.browser]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "balances"


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-1400.png"), full_page=True)


def test_search_as_you_type_then_a_rows_top_up_comes_back_to_the_searched_list(page, live_server, mongo):
    dave = create_user("daveporter@example.com", 20_000, name="Dave Porter")
    for number in range(12):
        create_user(f"user{number:02}@example.com", number * 1_000_000, name=f"User {number}")
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in_in_browser(page, live_server.url, "/admin/balances/balance/", group="operator")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(13)
    screenshot(page, "rows-balances")
    page.locator("#searchbar").press_sequentially("dave", delay=50)  # no Enter
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("daveporter@example.com")
    expect(page).to_have_url(f"{live_server.url}/admin/balances/balance/?q=dave")
    expect(page.locator("#searchbar")).to_be_focused()
    screenshot(page, "rows-balances-searched")
    rows.first.get_by_role("link", name="Top up").click()
    expect(page.locator("ul.chosen-users")).to_contain_text("daveporter@example.com: 20,000 credits now")
    page.check("input[name=amount_preset][value='5000000']")
    page.fill("textarea[name=reason]", "row button")
    page.click("input[value=Review]")
    expect(page.locator("p.plan")).to_contain_text("Add 5,000,000 credits to each of 1 user")
    screenshot(page, "rows-review")
    page.click("input[value='Yes, apply']")
    expect(page.locator("ul.messagelist")).to_contain_text("Added 5,000,000 credits ($5.00) for 1 user (batch")
    expect(page).to_have_url(f"{live_server.url}/admin/balances/balance/?q=dave")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("5,020,000")
    screenshot(page, "rows-balances-applied")
    assert credits_of(dave) == 5_020_000
    assert BalanceChange.objects.get().reason in ("", "row button")
