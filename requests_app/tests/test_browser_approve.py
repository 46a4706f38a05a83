"""An operator approves a credit request from the admin queue in headless Chromium."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from librechat.testing import create_user, credits_of, log_in_in_browser
from requests_app.tests.conftest import pending_request

pytestmark = [pytest.mark.django_db(databases=["default", "librechat"], transaction=True), pytest.mark.browser]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "requests"


def test_approving_with_a_typed_custom_amount_credits_exactly_that_amount(page, live_server, mongo):
    alice = create_user("alice@example.com", 20_000)
    credit_request = pending_request(user_id=alice)
    log_in_in_browser(page, live_server.url, "/admin/requests_app/creditrequest/", group="operator")
    page.check(f"input.action-select[value='{credit_request.pk}']")
    page.select_option("select[name=action]", "approve")
    page.click("button[name=index]")
    expect(page.locator("input[name=amount_preset][value='5000000']")).to_be_checked()
    page.get_by_label("Custom credits").fill("7,500,000")
    page.click("input[type=submit][value='Approve credit requests']")
    expect(page.locator("ul.messagelist")).to_contain_text("approved, 7,500,000 credits ($7.50) added")
    assert credits_of(alice) == 7_520_000


def test_choosing_a_preset_after_typing_grants_the_preset(page, live_server, mongo):
    alice = create_user("alice@example.com", 20_000)
    credit_request = pending_request(user_id=alice, amount_wished_credits=7_500_000)
    log_in_in_browser(page, live_server.url, "/admin/requests_app/creditrequest/", group="operator")
    page.check(f"input.action-select[value='{credit_request.pk}']")
    page.select_option("select[name=action]", "approve")
    page.click("button[name=index]")
    # What the requester wished is preselected, as a custom amount.
    expect(page.locator("input[name=amount_preset][value='custom']")).to_be_checked()
    expect(page.get_by_label("Custom credits")).to_have_value("7,500,000")
    page.check("input[name=amount_preset][value='10000000']")
    expect(page.get_by_label("Custom credits")).to_have_value("")
    page.click("input[type=submit][value='Approve credit requests']")
    expect(page.locator("ul.messagelist")).to_contain_text("approved, 10,000,000 credits ($10.00) added")
    assert credits_of(alice) == 10_020_000


def test_a_queue_rows_approve_button_decides_that_request_and_comes_back_to_the_queue(page, live_server, mongo):
    alice = create_user("alice@example.com", 20_000)
    pending_request(user_id=alice)
    pending_request("bob@example.com", status="rejected")
    page.set_viewport_size({"width": 1400, "height": 900})
    log_in_in_browser(page, live_server.url, "/admin/requests_app/creditrequest/?q=alice", group="operator")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "rows-requests-1400.png"), full_page=True)
    page.locator("#result_list tbody tr").first.get_by_role("link", name="Approve").click()
    page.check("input[name=amount_preset][value='5000000']")
    page.click("input[type=submit][value='Approve credit requests']")
    expect(page.locator("ul.messagelist")).to_contain_text("approved, 5,000,000 credits ($5.00) added")
    expect(page).to_have_url(f"{live_server.url}/admin/requests_app/creditrequest/?q=alice")
    expect(page.locator("#result_list tbody tr").first.get_by_role("link", name="Approve")).to_have_count(0)
    assert credits_of(alice) == 5_020_000
