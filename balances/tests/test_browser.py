"""An operator tops up a user in a real browser: headless Debian Chromium driven by Playwright."""

from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from librechat.testing import create_user, credits_of, log_in_in_browser

pytestmark = [pytest.mark.django_db(databases=["default", "librechat"], transaction=True), pytest.mark.browser]


SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "balances"


def screenshot(page, name: str, width: int) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)


def test_an_operator_tops_up_a_user_from_the_balances_list(page, live_server, mongo):
    dave = create_user("daveporter@example.com", 20_000, name="Dave Porter")
    for number in range(30):
        create_user(f"user{number:02}@example.com", number * 100_000, name=f"User {number}")
    log_in_in_browser(page, live_server.url, "/admin/balances/balance/", group="operator")
    screenshot(page, "balances-list", 1400)
    screenshot(page, "balances-list", 390)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.fill("#searchbar", "dave")
    page.press("#searchbar", "Enter")
    page.check("input.action-select")
    page.select_option("select[name=action]", "top_up")
    page.click("button[name=index]")
    page.check("input[name=amount_preset][value='5000000']")
    page.fill("textarea[name=reason]", "browser test")
    page.click("input[value=Review]")
    expect(page.locator("p.plan")).to_contain_text("total change 5,000,000 credits ($5.00)")
    page.click("input[value='Yes, apply']")
    expect(page.locator("ul.messagelist")).to_contain_text("Added 5,000,000 credits ($5.00) for 1 user (batch")
    assert credits_of(dave) == 5_020_000


def test_the_top_up_button_on_a_users_page_leads_to_the_same_review(page, live_server, mongo):
    erin = create_user("erin@example.com", 1_000, name="Erin")
    log_in_in_browser(page, live_server.url, f"/admin/balances/librechatuser/{erin}/change/", group="operator")
    page.click("button[value=top_up]")
    expect(page.locator("ul.chosen-users")).to_contain_text("erin@example.com: 1,000 credits now")
    page.wait_for_load_state()  # as a person sees the form: its script has run
    # Typing an amount while the first preset is still selected must review the typed amount.
    page.fill("input[name=amount]", "2,500,000")
    page.click("input[value=Review]")
    expect(page.locator("p.plan")).to_contain_text("Add 2,500,000 credits to each of 1 user")
    expect(page.locator("table.plan-users")).to_contain_text("erin@example.com")
    expect(page.locator("table.plan-users")).to_contain_text("2,501,000")
    screenshot(page, "confirmation", 1400)
    screenshot(page, "confirmation", 390)
    page.click("input[value='Yes, apply']")
    expect(page.locator("ul.messagelist")).to_contain_text("for 1 user (batch")
    assert credits_of(erin) == 2_501_000
    # Back on Erin's page, not the users list, with her new balance.
    expect(page).to_have_url(f"{live_server.url}/admin/balances/librechatuser/{erin}/change/")
    expect(page.locator("#user-balance")).to_contain_text("2,501,000 credits")


def test_an_amount_typed_before_the_form_script_ran_still_reviews_the_typed_amount(page, live_server, mongo):
    erin = create_user("erin@example.com", 1_000, name="Erin")
    log_in_in_browser(page, live_server.url, f"/admin/balances/librechatuser/{erin}/change/", group="operator")
    held_scripts = []
    page.route("**/credit_amount*.js", lambda route: held_scripts.append(route))
    page.click("button[value=top_up]")
    page.fill("input[name=amount]", "2,500,000")  # no input listener yet: the script is held back
    while not held_scripts:
        page.wait_for_timeout(50)
    held_scripts[0].continue_()
    page.wait_for_load_state()
    page.click("input[value=Review]")
    expect(page.locator("p.plan")).to_contain_text("Add 2,500,000 credits to each of 1 user")


def test_the_set_button_on_a_balance_page_sets_the_balance(page, live_server, mongo):
    frank = create_user("frank@example.com", 9_000, name="Frank")
    balance_id = mongo.balances.find_one({"user": frank})["_id"]
    log_in_in_browser(page, live_server.url, f"/admin/balances/balance/{balance_id}/change/", group="operator")
    page.click("button[value=set_balance]")
    page.fill("input[name=amount]", "100")
    page.click("input[value=Review]")
    expect(page.locator("p.plan")).to_contain_text("Set the balance to 100 credits for 1 user")
    page.click("input[value='Yes, apply']")
    expect(page.locator("ul.messagelist")).to_contain_text("for 1 user (batch")
    assert credits_of(frank) == 100


def test_a_csv_import_previews_each_row_then_applies(page, live_server, mongo, tmp_path):
    grace = create_user("grace@example.com", 1_000, name="Grace")
    create_user("heidi@example.com", name="Heidi")
    csv_file = tmp_path / "topups.csv"
    csv_file.write_text("email,amount,reason\ngrace@example.com,2000000,refund\nheidi@example.com,500000,\n")
    log_in_in_browser(page, live_server.url, "/admin/audit/importrow/import/", group="operator")
    page.set_input_files("input[name=import_file]", str(csv_file))
    page.click("input[value='Upload and preview']")
    expect(page.locator("p.plan")).to_contain_text("Mode: add credits")
    expect(page.locator("p.plan")).to_contain_text("2,500,000 credits ($2.50)")
    screenshot(page, "import-preview", 1400)
    screenshot(page, "import-preview", 390)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("input[name=confirm]")
    expect(page.locator("ul.messagelist")).to_be_visible()
    assert credits_of(grace) == 2_001_000


def test_a_large_csv_imports_progress_page_shows_the_preview_once_the_worker_has_read_it(
    page, live_server, mongo, tmp_path, settings
):
    settings.BACKGROUND_BATCH_MIN_USERS = 2
    for name in ("ivan", "judy"):
        create_user(f"{name}@example.com", 0)
    csv_file = tmp_path / "topups.csv"
    csv_file.write_text("email,amount\nivan@example.com,1000\njudy@example.com,2000\n")
    log_in_in_browser(page, live_server.url, "/admin/audit/importrow/import/", group="operator")
    page.set_input_files("input[name=import_file]", str(csv_file))
    page.click("input[value='Upload and preview']")
    expect(page.locator("#import-progress")).to_contain_text("Waiting for the worker")

    call_command("ledger_worker", batch=True, verbosity=0)
    # No click: the page reloads itself until the preview is there.
    expect(page.locator("p.plan")).to_contain_text("Total change 3,000 credits (< $0.01)")
    expect(page.locator("table.import-preview tbody tr")).to_have_count(2)


def test_a_custom_threshold_widens_a_preset_one(page, live_server, mongo):
    create_user("low@example.com", 500_000)
    create_user("middle@example.com", 3_000_000)
    log_in_in_browser(page, live_server.url, "/admin/balances/balance/?credits=below_1000000", group="viewer")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.fill("input[name=credits_below]", "5000000")
    page.press("input[name=credits_below]", "Enter")
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    assert "credits=below" not in page.url
