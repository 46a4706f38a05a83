"""Every admin page fits a 1400 px desktop and a 390 px phone (issue 23), without console errors.

One browser and one logged-in superuser per width walk every registered list, one row's page
of each, the analytics pages, the history extras, the CSV import preview and the API docs.
Screenshots (git-ignored) go to test-output/screenshots/<page>-<width>.png to look at.
"""

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from alerts.models import PolicyThresholds, ScheduledRun, ThresholdState
from api.models import ApiKey
from ledger.changes import Kind, Target, change_one
from ledger.models import ImportRow, RefillChange
from librechat.testing import create_user, log_in_in_browser
from outbox.queue import queue_message
from policies.models import Policy
from requests_app.models import CreditRequest
from tenancy.models import StaffTenantScope

pytestmark = [pytest.mark.django_db(databases=["default", "librechat"], transaction=True), pytest.mark.browser]
SCREENSHOTS = settings.BASE_DIR / "test-output" / "screenshots"
WIDTHS = {1400: 900, 390: 844}
PHONE_WIDTH = 390
SMALLEST_TOUCH_TARGET_PX = 40

# The column a person opens each list for: it must be on screen at every width.
KEY_COLUMNS = {
    "auth.group": "__str__",
    "auth.user": "username",
    "django_tasks_database.dbtaskresult": "status",
    "axes.accessattempt": "ip_address",
    "axes.accesslog": "ip_address",
    "axes.accessfailurelog": "ip_address",
    "outbox.message": "status",
    "balances.balance": "credits",
    "balances.librechatuser": "credits",
    "balances.transaction": "credits",
    "audit.balancechange": "status",
    "audit.refillchange": "change",
    "audit.importrow": "amount",
    "audit.changebatch": "total_delta",
    "requests_app.creditrequest": "status",
    "policies.policy": "change",
    "api.apikey": "status",
    "alerts.thresholdstate": "fired",
    "alerts.scheduledrun": "job",
    "alerts.policythresholds": "thresholds",
    "tenancy.stafftenantscope": "tenants",
}
# Custom pages: (name, path, selector of their key column or None).
OTHER_PAGES = [
    ("admin-index", "/admin/", None),
    ("analytics-overview", "/admin/analytics/", ".analytics-cards"),
    ("analytics-users", "/admin/analytics/users/", ".analytics-table .column-totalCost"),
    ("analytics-models", "/admin/analytics/models/", ".analytics-table .column-totalCost"),
    ("analytics-agents", "/admin/analytics/agents/", ".analytics-table .column-totalCost"),
    ("librechat-credits", "/admin/audit/balancechange/librechat-credits/", "#librechat-credits"),
    ("import-form", "/admin/audit/importrow/import/", None),
    ("api-docs", "/api/docs", ".opblock-summary-path"),
]


# Swagger UI's own controls: its layout fits, its buttons are its own.
OTHER_PEOPLES_UI = {"api-docs", "api-docs-operation"}


def demo_rows(mongo) -> None:
    """A few rows in every list: LibreChat users with spending, and one of each of our records."""
    call_command("seed_demo", users=6, days=3, transactions=40, verbosity=0)
    rosa = create_user("rosalind.featherstonehaugh@physics.example-university.edu", 2_500_000, name="Rosalind F.")
    change_one(
        Target(rosa, "rosalind.featherstonehaugh@physics.example-university.edu"),
        kind=Kind.ADD,
        amount_credits=5_000_000,
        source="cli",
        actor="ops",
        reason="course credits for the winter term",
    )
    CreditRequest.objects.create(email="student@example.com", amount_wished_credits=2_000_000, reason="thesis")
    CreditRequest.objects.create(
        email="rosalind.featherstonehaugh@physics.example-university.edu", librechat_user_id=str(rosa),
        amount_wished_credits=20_000_000, status="approved", amount_granted_credits=12_500_000,
        decided_by="head.of.department@physics.example-university.edu", crediting="failed",
        notify_error="SMTP 451 temporary failure", reference="thesis chapter 3",
    )  # fmt: skip
    policy = Policy.objects.create(name="Students monthly", action="add", amount_credits=1_000_000, roles="USER")
    PolicyThresholds.objects.create(policy=policy, thresholds="25%, 0")
    ThresholdState.objects.create(librechat_user_id=str(rosa), email="rosa@example.com", threshold_credits=100_000)
    ScheduledRun.objects.create(job="digest", key="2026-11-30", summary="3 users below their threshold")
    queue_message(
        event="credit_request.admin", recipient="admin@example.com", subject="A credit request", body_text="x"
    )
    ApiKey(name="billing", scopes="read").issue(created_by="root")
    RefillChange.objects.create(
        librechat_user_id=str(rosa),
        email="rosa@example.com",
        actor="ops",
        field_name="refillAmount",
        before_value="0",
        after_value="1000000",
    )
    ImportRow.objects.create(batch_id="import-1", email="rosa@example.com", amount_credits=1_000, reason="csv")
    attempt = {"username": "mallory", "ip_address": "192.0.2.1", "user_agent": "curl/8", "path_info": "/admin/login/"}
    AccessAttempt.objects.create(**attempt, get_data="", post_data="", failures_since_start=1)
    AccessFailureLog.objects.create(**attempt)
    acme_operator = User.objects.create_user("acme-operator", is_staff=True)
    StaffTenantScope.objects.create(user=acme_operator, tenants="acme")


def list_pages() -> list[tuple[str, str, str]]:
    """(name, changelist path, key column selector) for every model registered in the admin."""
    pages = []
    for model in admin.site._registry:
        label = model._meta.label_lower
        column = KEY_COLUMNS[label]  # a KeyError: declare the new list's key column above
        path = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        pages.append((label.replace(".", "-"), path, f"#result_list .column-{column}"))
    return pages


def layout_problems(page, name: str, key_selector: str | None, width: int) -> list[str]:
    """What is wrong with the page as shown now; saves its screenshot."""
    page.screenshot(path=SCREENSHOTS / f"{name}-{width}.png", full_page=True)
    problems = []
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if scroll_width > inner_width:
        problems.append(f"{name} @{width}: page is {scroll_width} px wide")
    if key_selector:
        key = page.locator(key_selector)
        box = key.first.bounding_box() if key.count() else None
        if box is None:
            problems.append(f"{name} @{width}: no key column {key_selector}")
        elif box["x"] < 0 or box["x"] + box["width"] > key.first.evaluate(VISIBLE_RIGHT) + 1:
            problems.append(
                f"{name} @{width}: key column {key_selector} at x={box['x']:.0f}..{box['x'] + box['width']:.0f}"
            )
    if overlapping := page.evaluate(OVERLAPPING_ROW_BUTTONS):
        problems.append(f"{name} @{width}: row buttons drawn over each other: {overlapping}")
    if width > PHONE_WIDTH:
        clipped = page.evaluate(CLIPPED_BOXES)
        if clipped:
            problems.append(f"{name} @{width}: columns scrolled out of sight: {clipped}")
    elif name not in OTHER_PEOPLES_UI:
        small = page.evaluate(TOO_SMALL_TARGETS, SMALLEST_TOUCH_TARGET_PX)
        if small:
            problems.append(f"{name} @{width}: touch targets under {SMALLEST_TOUCH_TARGET_PX} px: {small[:5]}")
    return problems


# Boxes in the content that clip or scroll sideways (the list's .results does): on a desktop
# every column shows at once.
CLIPPED_BOXES = """() => [...document.querySelectorAll("#content div, #content table")]
  .filter((box) => ["auto", "scroll", "hidden"].includes(getComputedStyle(box).overflowX))
  .filter((box) => box.scrollWidth > box.clientWidth + 1)
  .map((box) => `${box.tagName.toLowerCase()}.${box.className} ${box.scrollWidth} > ${box.clientWidth} px`)"""
# A row's buttons (Top up and Set, Approve and Reject) that cover each other.
OVERLAPPING_ROW_BUTTONS = """() => [...document.querySelectorAll("#result_list tr")].flatMap((row) => {
  const boxes = [...row.querySelectorAll(".row-button")].map((button) => [button, button.getBoundingClientRect()]);
  return boxes.flatMap(([a, boxA], i) => boxes.slice(i + 1)
    .filter(([, boxB]) => boxA.left < boxB.right && boxB.left < boxA.right
      && boxA.top < boxB.bottom && boxB.top < boxA.bottom)
    .map(([b]) => `${a.textContent} / ${b.textContent}`));
})"""
# Whether the list still fits with one more column of the given width (the row actions to come).
# The right edge a key column must not pass: the screen's, or its scroll box's when it is in one.
VISIBLE_RIGHT = """(element) => {
  const box = element.closest(".results, .analytics-scroll");
  return box ? Math.min(window.innerWidth, box.getBoundingClientRect().right) : window.innerWidth;
}"""

# Visible buttons, action-bar links, radios and checkboxes whose tappable box (the label around
# a radio or checkbox counts) is shorter than the given size.
TOO_SMALL_TARGETS = """(size) => {
  const targets = document.querySelectorAll(`button, input[type=submit], input[type=button], input[type=checkbox],
    input[type=radio], .object-tools a, #changelist-filter a, .actions select, .paginator a`);
  const small = [];
  for (const element of targets) {
    const box = (element.closest("label") || element).getBoundingClientRect();
    if (box.width === 0 || getComputedStyle(element).visibility === "hidden") continue;
    if (box.height < size || box.width < size) small.push(element.outerHTML.slice(0, 80));
  }
  return small;
}"""


@pytest.mark.parametrize("width", WIDTHS)
def test_every_admin_page_fits_the_screen_without_console_errors(page, live_server, mongo, tmp_path, width):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    demo_rows(mongo)
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size({"width": width, "height": WIDTHS[width]})
    log_in_in_browser(page, live_server.url, "/admin/", username="root")
    expect(page.locator("#content")).to_be_visible()

    problems = []

    def check(name: str, path: str, key_selector: str | None, ready: str | None = None) -> None:
        errors.clear()
        page.goto(live_server.url + path)
        if ready:
            expect(page.locator(ready).first).to_be_visible()
        problems.extend(layout_problems(page, name, key_selector, width))
        problems.extend(f"{name} @{width}: console: {error}" for error in errors)

    for name, path, key_selector in list_pages():
        check(name, path, key_selector)
        first_row = page.locator("#result_list tbody tr").first.locator("a[href$='/change/']").first
        if first_row.count():
            check(f"{name}-detail", first_row.get_attribute("href"), None)
        else:
            problems.append(f"{name} @{width}: no row to open")
    page.goto(live_server.url + reverse("admin:balances_balance_changelist"))
    if width == PHONE_WIDTH:  # the filters fold behind a button: the rows come first
        expect(page.locator("#changelist-filter")).to_be_hidden()
        page.click("#filters-toggle")
        expect(page.locator("#changelist-filter")).to_be_visible()
    else:
        expect(page.locator("#filters-toggle")).to_be_hidden()
        expect(page.locator("#changelist-filter")).to_be_visible()

    for name, path, key_selector in OTHER_PAGES:
        check(name, path, key_selector, ready=key_selector)
        if name == "api-docs":  # its data: icons load only once an operation is open
            errors.clear()
            page.locator(".opblock-summary").first.click()
            page.locator(".try-out__btn").first.click()
            expect(page.locator(".opblock-body select").first).to_be_visible()
            problems.extend(layout_problems(page, "api-docs-operation", None, width))
            problems.extend(f"api-docs-operation @{width}: console: {error}" for error in errors)

    csv_file = tmp_path / "topups.csv"
    csv_file.write_text("email,amount,reason\nrosalind.featherstonehaugh@physics.example-university.edu,2000000,x\n")
    page.goto(live_server.url + "/admin/audit/importrow/import/")
    errors.clear()
    page.set_input_files("input[name=import_file]", str(csv_file))
    page.click("input[value='Upload and preview']")
    expect(page.locator("p.plan")).to_be_visible()
    problems.extend(layout_problems(page, "import-preview", "table.import-preview .column-amount", width))
    problems.extend(f"import-preview @{width}: console: {error}" for error in errors)

    if width > PHONE_WIDTH:  # with Django's sidebar open too, the widest list shows every column
        page.goto(live_server.url + reverse("admin:balances_balance_changelist"))
        page.click("#toggle-nav-sidebar")
        expect(page.locator("#nav-sidebar")).to_be_visible()
        key = f"#result_list .column-{KEY_COLUMNS['balances.balance']}"
        problems.extend(layout_problems(page, "balances-balance-sidebar", key, width))

    assert not problems, "\n".join(problems)
