"""The alert pages in headless Chromium at 1400 and 390 px: a digest's top-up link, the report, the channels."""

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import expect

from alerts.models import ScheduledRun
from alerts.schedule import run_due
from alerts.tests.test_low_balance import spend_like_librechat
from analytics.rollup import refresh_usage
from librechat.testing import create_user, credits_of, log_in_in_browser
from outbox.models import Message

pytestmark = [pytest.mark.django_db(databases=["default", "librechat"], transaction=True), pytest.mark.browser]
SCREENSHOTS = django_settings.BASE_DIR / "test-output" / "alerts"
WIDTHS = {"wide": 1400, "phone": 390}


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=SCREENSHOTS / f"{name}-{label}.png", full_page=True)
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0 or (label == "phone" and name.startswith("admin")), f"{name} scrolls sideways at {width}"


@pytest.fixture(autouse=True)
def alert_settings(settings, live_server):
    settings.LOW_BALANCE_THRESHOLDS = [1_000_000, 0]
    settings.NOTIFY_TO = ["ops@example.com"]
    settings.NOTIFY_URLS = ["ops-hook=json://hooks.example.com/s3cr3t"]
    settings.REPORT_SCHEDULE = []
    settings.ALERT_DIGEST_HOUR_UTC = 0
    settings.ALERT_TOP_UP_CREDITS = 2_000_000
    settings.APPROVAL_LINKS_REQUIRE_LOGIN = False
    settings.WEBHOOK_BASE_URL = live_server.url


def test_the_digests_top_up_link_confirms_then_credits_once(page, live_server, mongo):
    alice = create_user("alice@example.com", 1_200_000)
    run_due()
    Message.objects.all().delete()
    spend_like_librechat(alice, 300_000)
    # Today's digest went out with the first run: make today's due again for this crossing.
    ScheduledRun.objects.filter(job="digest").update(key="earlier")
    run_due()
    digest = Message.objects.get(event="alerts.digest", recipient="ops@example.com")
    url = next(word for word in digest.body_text.split() if "/alerts/top-up/" in word)
    page.goto(url)
    expect(page.locator("h1")).to_contain_text("Top up alice@example.com by 2,000,000 credits")
    shoot(page, "top-up-confirm")
    assert credits_of(alice) == 900_000
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Topped up")
    shoot(page, "top-up-done")
    assert credits_of(alice) == 2_900_000


def test_the_report_and_channel_pages_in_the_admin(page, live_server, mongo):
    create_user("alice@example.com", 1_200_000)
    refresh_usage()
    log_in_in_browser(page, live_server.url, "/admin/alerts/scheduledrun/report/?period=7d")
    expect(page.locator("#content")).to_contain_text("Download XLSX")
    shoot(page, "admin-report")
    page.goto(f"{live_server.url}/admin/outbox/message/channels/")
    expect(page.locator("#content")).to_contain_text("ops-hook")
    assert "s3cr3t" not in page.content()
    shoot(page, "admin-channels")
