"""A requester asks and an admin approves from the mail, in headless Chromium; screenshots go to test-output/."""

import pytest
from django.conf import settings as django_settings
from django.core import mail
from playwright.sync_api import expect

from librechat.testing import create_user, credits_of
from requests_app.tests.conftest import links_in, outbox_to, run_worker

pytestmark = [pytest.mark.django_db(databases=["default", "librechat"], transaction=True), pytest.mark.browser]
SCREENSHOTS = django_settings.BASE_DIR / "test-output" / "requests"


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def test_a_request_is_approved_from_the_mailed_link(page, live_server, mongo, settings):
    settings.WEBHOOK_BASE_URL = live_server.url
    settings.REQUEST_REFERENCE_LABEL = "Job number"
    alice = create_user("alice@example.com", 20_000)

    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/request/")
    shoot(page, "request-form-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    page.click("button[type=submit]")
    expect(page.locator(".error-summary")).to_contain_text("There is a problem")
    shoot(page, "request-form-errors-390px")
    page.goto(f"{live_server.url}/request/")
    shoot(page, "request-form-390px")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 390, "no sideways scrolling on a phone"

    page.fill("#id_email", "alice@example.com")
    page.fill("#id_reference", "JOB-42")
    page.fill("#id_amount_wished", "5,000,000")
    page.fill("#id_reason", "Finishing the literature review.")
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Request received")
    run_worker()

    approve_url = next(url for url in links_in(outbox_to("ann@example.com")[0]) if "/approve/" in url)
    mail.outbox.clear()
    page.goto(approve_url)
    expect(page.locator("h1")).to_contain_text("Approve 5,000,000 credits ($5.00)?")
    expect(page.locator("dl.summary")).to_contain_text("Job number")
    shoot(page, "decision-confirm-390px")
    assert credits_of(alice) == 20_000
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Request approved")
    shoot(page, "decision-done-390px")
    assert credits_of(alice) == 5_020_000
    run_worker()
    assert [message.to for message in mail.outbox] == [["alice@example.com"]]
