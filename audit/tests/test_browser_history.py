"""An operator finds a mistaken batch in the history and reverses it, in headless Chromium."""

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
