"""A viewer opens the usage Overview in headless Chromium and the chart is drawn from our static files."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from analytics.testing import conversation, spend
from librechat.testing import create_user, log_in_in_browser, wait_for_chart

pytestmark = [pytest.mark.django_db(databases=["default", "librechat"], transaction=True), pytest.mark.browser]
# Git-ignored: screenshots to look at after a run.
SCREENSHOTS = Path(settings.BASE_DIR) / "test-output" / "analytics"


def test_the_overview_draws_its_chart(page, live_server, mongo):

    alice = create_user("alice@example.com", 2_000_000, name="Alice")
    for day in range(7):
        when = timezone.now() - timedelta(days=day, hours=1)
        conversation(alice, when, f"c{day}")
        spend(alice, when, tokens=20_000 * (day + 1), conversation_id=f"c{day}")
        spend(alice, when, token_type="completion", tokens=5_000 * (day + 1), rate=10.0, conversation_id=f"c{day}")
    page.set_viewport_size({"width": 1280, "height": 1000})
    log_in_in_browser(page, live_server.url, "/admin/analytics/%3Fperiod%3D7d", group="viewer", username="vera")
    wait_for_chart(page, "analytics-chart")

    drawn = page.evaluate(
        """() => {
            const canvas = document.getElementById('analytics-chart');
            const chart = canvas.chart;
            const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
            return {
                points: chart.getDatasetMeta(0).data.length,
                costs: chart.data.datasets[0].data.filter((value) => value > 0).length,
                painted: painted,
            };
        }"""
    )
    assert drawn["points"] in (7, 8) and drawn["costs"] == 7
    assert drawn["painted"] > 5_000
    expect(page.locator("#analytics-custom")).to_be_hidden()
    expect(page.locator("#analytics-age")).to_contain_text("Usage counted up to")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "overview-desktop.png"), full_page=True)

    page.uncheck("#analytics-auto-refresh")
    assert page.evaluate("window.localStorage.getItem('analytics-auto-refresh')") == "off"
    page.select_option("#analytics-period", "custom")
    expect(page.locator("#analytics-custom")).to_be_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/admin/analytics/?period=7d")
    wait_for_chart(page, "analytics-chart")
    page.screenshot(path=str(SCREENSHOTS / "overview-390px.png"), full_page=True)
    page.goto(f"{live_server.url}/admin/analytics/users/?period=7d")
    page.screenshot(path=str(SCREENSHOTS / "users-390px.png"), full_page=True)
