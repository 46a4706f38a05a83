"""An operator creates a tier for a role, previews it, runs it now and sees the batch, in headless Chromium."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from ledger.models import ChangeBatch
from librechat.testing import create_user, credits_of, log_in_in_browser
from policies.models import Policy

pytestmark = [pytest.mark.django_db(databases=["default", "librechat"], transaction=True), pytest.mark.browser]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output"


def test_an_operator_creates_a_tier_previews_it_and_runs_it_now(page, live_server, mongo):
    SCREENSHOTS.mkdir(exist_ok=True)
    root = create_user("root@example.com", 1_000_000, role="ADMIN")
    alice = create_user("alice@example.com", 1_000_000)
    page.set_viewport_size({"width": 1400, "height": 1000})
    log_in_in_browser(page, live_server.url, "/admin/policies/policy/add/", group="operator")
    page.fill("#id_name", "Admins")
    page.fill("#id_roles", "ADMIN")
    page.select_option("#id_action", "top_up_to")
    page.fill("#id_amount_credits", "5000000")
    page.select_option("#id_frequency", "monthly")
    page.select_option("#id_month_day", "0")
    page.click("input[name=_continue]")
    expect(page.locator("ul.messagelist")).to_contain_text("was added successfully")
    expect(page.locator("#policy-plan")).to_contain_text("1 user")
    expect(page.locator(".plan-users")).to_contain_text("root@example.com")
    page.screenshot(path=SCREENSHOTS / "policy-page.png", full_page=True)

    page.click("#policy-run-now")
    expect(page.locator("#policy-plan")).to_contain_text("4,000,000 credits")
    page.click("input[value='Yes, run now']")
    policy = Policy.objects.get(name="Admins")
    expect(page.locator("#content")).to_contain_text(f"policy-{policy.pk}-now-")
    page.screenshot(path=SCREENSHOTS / "policy-run-now-batch.png", full_page=True)
    assert credits_of(root) == 5_000_000 and credits_of(alice) == 1_000_000
    assert ChangeBatch.objects.get().source == "policy"
