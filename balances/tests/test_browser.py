"""An operator tops up a user in a real browser: headless Debian Chromium driven by Playwright."""

import os
from pathlib import Path

import pytest

from balances.testing import create_user, credits_of

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.django_db(databases=["default", "librechat"], transaction=True),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (bin/test installs it)"),
]


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # around it are still synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield browser.new_page()
        browser.close()


def test_an_operator_tops_up_a_user_from_the_balances_list(page, live_server, django_user_model, mongo):
    from django.contrib.auth.models import Group

    dave = create_user("daveporter@example.com", 20_000, name="Dave Porter")
    operator = django_user_model.objects.create_user("olga", password="correct horse", is_staff=True)
    operator.groups.add(Group.objects.get(name="operator"))

    page.goto(f"{live_server.url}/admin/login/?next=/admin/balances/balance/")
    page.fill("#id_username", "olga")
    page.fill("#id_password", "correct horse")
    page.click("input[type=submit]")
    page.fill("#searchbar", "dave")
    page.press("#searchbar", "Enter")
    page.check("input.action-select")
    page.select_option("select[name=action]", "top_up")
    page.click("button[name=index]")
    page.check("input[name=preset][value='5000000']")
    page.fill("textarea[name=reason]", "browser test")
    page.click("input[value=Review]")
    assert "total change 5,000,000 credits ($5.00)" in page.inner_text("p.plan")
    page.click("input[value='Yes, apply']")
    assert "Added 5,000,000 credits ($5.00) for 1 user (batch" in page.inner_text("ul.messagelist")
    assert credits_of(dave) == 5_020_000
