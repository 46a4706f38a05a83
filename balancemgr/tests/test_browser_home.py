"""The home page in headless Chromium at a desktop and a phone width: no console error (CSP included),
no sideways scrolling, the week's chart drawn; screenshots go to test-output/balancemgr/ (git-ignored)."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from playwright.sync_api import expect

from alerts.models import WorkerHeartbeat
from analytics.rollup import refresh_usage
from analytics.testing import grant, spend
from ledger.models import ChangeBatch
from librechat.testing import create_user, log_in_in_browser, wait_for_chart
from policies.models import Policy
from requests_app.models import CreditRequest

pytestmark = [pytest.mark.django_db(databases=["default", "librechat"], transaction=True), pytest.mark.browser]
SCREENSHOTS = django_settings.BASE_DIR / "test-output" / "balancemgr"
SIZES = {"1400": (1400, 900), "390": (390, 844)}


def test_the_home_page_fits_a_desktop_and_a_phone_without_errors(page, live_server, mongo):
    alice = create_user("alice@example.com", 0, name="Alice")
    create_user("bob@example.com", 400_000, name="Bob")
    for day in range(7):
        spend(alice, timezone.now() - timedelta(days=day, hours=1), tokens=100_000 * (day + 1))
    grant(alice, timezone.now() - timedelta(days=2), 3_000_000)
    refresh_usage()
    CreditRequest.objects.create(email="carol@example.com", reason="A thesis deadline")
    ChangeBatch.objects.create(batch_id="csv-1", kind="add", source="import", actor="olga", stopped_reason="Mongo away")
    Policy.objects.create(name="Monthly allowance", action="add", amount_credits=5_000_000)
    WorkerHeartbeat.objects.create(pk=1, seen_at=timezone.now())
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    log_in_in_browser(page, live_server.url, "/admin/")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/admin/")
        expect(page.locator("#home-today")).to_contain_text("Credit requests waiting")
        expect(page.locator("#home-upcoming")).to_contain_text("Policy “Monthly allowance”")
        wait_for_chart(page, "home-week-chart")
        page.screenshot(path=str(SCREENSHOTS / f"home-{name}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"scrolls sideways at {width} px"
    assert problems == []
