"""A LibreChat user signs in from the mailed link and reads the statement in headless Chromium, at 1400 and 390 px."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from playwright.sync_api import expect

from analytics.testing import agent, conversation, spend
from ledger.changes import Kind, Target, change_one
from librechat import documents
from librechat.testing import create_user, wait_for_chart
from selfservice import signin
from selfservice.tests.conftest import LINK_PATTERN, mails_to, refilling_user, sign_in

pytestmark = [pytest.mark.django_db(databases=["default", "librechat"], transaction=True), pytest.mark.browser]
SCREENSHOTS = django_settings.BASE_DIR / "test-output" / "selfservice"


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def test_a_user_signs_in_from_the_mail_and_reads_the_statement(page, live_server, mongo, settings):
    settings.WEBHOOK_BASE_URL = live_server.url
    now = timezone.now()
    alice = create_user(
        "alice@example.com",
        4_250_000,
        autoRefillEnabled=True,
        refillAmount=1_000_000,
        refillIntervalValue=1,
        refillIntervalUnit="months",
        lastRefill=now - timedelta(days=3),
        reservations=[{"id": "r1", "amount": 120_000, "expiresAt": now + timedelta(minutes=10)}],
    )
    agent("agent_writer", "Thesis writer", "claude-sonnet-4")
    for day in range(7):
        when = now - timedelta(days=day, hours=2)
        conversation(alice, when, f"c{day}")
        spend(alice, when, tokens=40_000 * (day + 1), conversation_id=f"c{day}")
        spend(alice, when, token_type="completion", tokens=8_000, rate=10.0, conversation_id=f"c{day}")
    three_hours_ago = now - timedelta(hours=3)
    conversation(alice, three_hours_ago, "agent-chat", agent_id="agent_writer")
    spend(alice, three_hours_ago, tokens=50_000, rate=3.0, model="claude-sonnet-4", conversation_id="agent-chat")
    mongo.transactions.insert_one(documents.credits_transaction(alice, 1_000_000, context="autoRefill"))

    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{live_server.url}/me/")
    shoot(page, "sign-in-1400px")
    page.fill("#id_email", "alice@example.com")
    page.click("button.button")
    expect(page.locator("h1")).to_have_text("Check your email")
    link = LINK_PATTERN.search(mails_to("alice@example.com")[0].body).group(0)

    page.goto(link)
    expect(page.locator("h1")).to_have_text("Sign in")
    page.click("button.button")
    expect(page.locator(".signed-in-as")).to_contain_text("alice@example.com")
    expect(page.locator("#balance")).to_have_text("4,250,000 ($4.25)")
    expect(page.locator("#held")).to_have_text("120,000 ($0.12)")
    expect(page.locator("#available")).to_have_text("4,130,000 ($4.13)")
    expect(page.locator("#usage-agents")).to_contain_text("Thesis writer")
    expect(page.locator("#credits-given")).to_contain_text("auto-refill")
    wait_for_chart(page, "usage-chart")
    assert page.evaluate("document.getElementById('usage-chart').chart.data.datasets[0].data.length") in (7, 8)
    shoot(page, "statement-1400px")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/me/?days=30")
    wait_for_chart(page, "usage-chart")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling on a phone"
    shoot(page, "statement-390px")

    page.click("text=Deutsch")
    expect(page.locator("h1")).to_have_text("Meine Credits")
    shoot(page, "statement-390px-de")

    page.click(".statement-head button")
    expect(page.locator("#id_email")).to_be_visible()
    page.goto(link)
    expect(page.locator("h1")).to_have_text("Dieser Link wurde bereits verwendet")


def test_times_show_in_the_readers_own_time_zone(page, live_server, client, mongo):
    dave = refilling_user("dave@example.com")
    change_one(Target(dave, "dave@example.com"), kind=Kind.ADD, amount_credits=5, source="cli", actor="ops")
    sign_in(client, "dave@example.com")
    cookie = client.cookies[signin.COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    page.context.new_cdp_session(page).send("Emulation.setTimezoneOverride", {"timezoneId": "Europe/Berlin"})

    page.goto(f"{live_server.url}/me/")

    expect(page.locator("#next-refill time")).to_have_text("2026-12-20 09:30 GMT+1")
    expect(page.locator("#next-refill time")).to_have_attribute("title", "2026-12-20 08:30 UTC")
    expect(page.locator("#credits-given time")).not_to_contain_text("UTC")
