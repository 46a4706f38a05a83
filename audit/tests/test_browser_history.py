"""An operator finds a mistaken batch in the history and reverses it, in headless Chromium."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from ledger.changes import Kind, Target, change_one
from ledger.models import ChangeBatch
from librechat.testing import create_user, credits_of, log_in_in_browser

pytestmark = [pytest.mark.django_db(databases=["default", "librechat"], transaction=True), pytest.mark.browser]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output"


def test_an_operator_reverses_a_batch_found_in_the_history(page, live_server, mongo):

    SCREENSHOTS.mkdir(exist_ok=True)
    dave = create_user("dave@example.com", 0)
    change_one(Target(dave, "dave@example.com"), kind=Kind.ADD, amount_credits=5_000_000, source="cli", actor="ops")
    mongo.balances.update_one({"user": dave}, {"$inc": {"tokenCredits": -4_000_000}})  # LibreChat spent most
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in_in_browser(page, live_server.url, "/admin/", group="operator")
    page.get_by_role("link", name="Balance changes", exact=True).click()  # the home page's History section
    page.fill("#searchbar", "dave")
    page.press("#searchbar", "Enter")
    expect(page.locator("#history-totals")).to_contain_text("5,000,000")
    page.screenshot(path=SCREENSHOTS / "history.png", full_page=True)

    page.click("#result_list a[href*='/changebatch/']")
    page.click("#reverse-batch")
    expect(page.locator("#reversal-plan")).to_contain_text("Would go below 0")
    page.screenshot(path=SCREENSHOTS / "reversal-plan.png", full_page=True)
    page.click("input[value='Reverse this batch']")
    expect(page.locator(".errorlist")).to_contain_text("below 0")
    page.check("input[name=below_zero][value=clamp]")
    page.fill("input[name=reason]", "sent to the wrong user")
    page.click("input[value='Reverse this batch']")
    expect(page.locator("ul.messagelist")).to_contain_text("Reversal opened as batch")
    page.screenshot(path=SCREENSHOTS / "reversal-done.png", full_page=True)
    assert credits_of(dave) == 0
    assert ChangeBatch.objects.get(reverses__isnull=False).kind == Kind.SUBTRACT_CLAMPED

    page.goto(f"{live_server.url}/admin/audit/balancechange/librechat-credits/")
    expect(page.locator("#librechat-credits"), "both rows are ours").not_to_contain_text("LibreChat / other")
    page.screenshot(path=SCREENSHOTS / "librechat-credits.png", full_page=True)
    page.click("#librechat-credits a[href*='/librechatuser/']")
    expect(page.locator("#content")).to_contain_text("Credits in LibreChat's history")
    page.screenshot(path=SCREENSHOTS / "user-page-history.png", full_page=True)


def test_the_history_search_updates_rows_and_totals_as_the_operator_types(page, live_server, mongo):
    for name, amount in [("dave", 5_000_000), ("erin", 2_000_000)]:
        user = create_user(f"{name}@example.com", 0)
        change_one(Target(user, f"{name}@example.com"), kind=Kind.ADD, amount_credits=amount, source="cli", actor="ops")
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in_in_browser(page, live_server.url, "/admin/audit/balancechange/", group="operator")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#history-totals")).to_contain_text("7,000,000")
    page.locator("#searchbar").press_sequentially("erin", delay=50)  # no Enter
    expect(rows).to_have_count(1)
    expect(page.locator("#history-totals")).to_contain_text("2,000,000")
    expect(page.locator("#history-totals")).not_to_contain_text("7,000,000")
    expect(page).to_have_url(f"{live_server.url}/admin/audit/balancechange/?q=erin")
    expect(page.locator("ul.object-tools a").first).to_have_attribute("href", re.compile(r"q=erin"))
    # The tabs and totals stay above the search box, as the server renders them.
    tabs_box, search_box = page.locator("#history-tabs").bounding_box(), page.locator("#searchbar").bounding_box()
    assert tabs_box["y"] < search_box["y"]
    page.screenshot(path=SCREENSHOTS / "history-search-as-you-type.png", full_page=True)
