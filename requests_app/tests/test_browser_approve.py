"""An operator approves a credit request from the admin queue in headless Chromium."""

import pytest
from playwright.sync_api import expect

from librechat.testing import create_user, credits_of, log_in_in_browser
from requests_app.tests.conftest import pending_request

pytestmark = [pytest.mark.django_db(databases=["default", "librechat"], transaction=True), pytest.mark.browser]


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
