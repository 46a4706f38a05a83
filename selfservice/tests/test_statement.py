"""The statement at /me/: balance and holds, auto-refill, usage as the analytics count it, credits given, requests."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils import timezone

from analytics import reports
from analytics.periods import parse_period
from analytics.testing import agent, conversation, spend
from ledger.changes import Kind, Target, change_one
from librechat import documents
from librechat.credits import format_credits_and_usd
from librechat.testing import create_user
from policies.models import Policy
from requests_app.models import CreditRequest
from selfservice import signin
from selfservice.statement import next_refill_at
from selfservice.tests.conftest import refilling_user, sign_in

pytestmark = pytest.mark.django_db(databases=["default", "librechat"], transaction=True)


@pytest.fixture
def alice(mongo):
    return create_user("alice@example.com", 3_000_000, name="Alice")


def text_of(page: str, element_id: str) -> str:
    match = re.search(rf'<(\w+)[^>]* id="{element_id}"[^>]*>(.*?)</\1>', page, re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(2))).strip()


def statement(client, query: str = "") -> str:
    response = client.get(f"/me/{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_balance_holds_and_what_is_available(client, alice, mongo):
    now = timezone.now()
    reservations = [
        {"id": "r1", "amount": 250_000, "expiresAt": now + timedelta(minutes=5)},
        {"id": "r2", "amount": 400_000, "expiresAt": now - timedelta(minutes=5)},  # expired: no longer held
        {"id": "r3", "amount": "NaN", "expiresAt": now + timedelta(minutes=5)},  # odd: skipped
    ]
    mongo.balances.update_one({"user": alice}, {"$set": {"reservations": reservations, "reservedCredits": 650_000}})
    sign_in(client, "alice@example.com")
    page = statement(client)
    assert text_of(page, "balance") == "3,000,000 ($3.00)"
    assert text_of(page, "held") == "250,000 ($0.25)"
    assert text_of(page, "available") == "2,750,000 ($2.75)"
    assert "style=" not in page and "<script>" not in page


def test_it_reads_the_earliest_of_two_balance_documents(client, alice, mongo):
    mongo.balances.insert_one(documents.balance(alice, 99_000_000))
    sign_in(client, "alice@example.com")
    assert text_of(statement(client), "balance") == "3,000,000 ($3.00)"


def test_a_user_without_a_balance_document_is_told_so(client, mongo):
    create_user("carol@example.com", None)
    sign_in(client, "carol@example.com")
    assert "You have no balance yet" in statement(client)


def test_it_shows_auto_refill_and_the_next_refill_as_librechat_computes_it(client, mongo):
    refilling_user("dave@example.com")
    sign_in(client, "dave@example.com")
    page = statement(client)
    assert "every 30 days" in page and "2,000,000 ($2.00)" in page
    assert text_of(page, "next-refill") == "2026-12-20 08:30 UTC"
    assert '<time class="moment" datetime="2026-12-20T08:30:00Z">' in page, "statement.js shows it in the reader's zone"


def test_next_refill_follows_javascript_month_arithmetic():
    january_31 = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    assert next_refill_at(january_31, 1, "months") == datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
    assert next_refill_at(january_31, 13, "months") == datetime(2027, 3, 3, 12, 0, tzinfo=UTC)
    assert next_refill_at(january_31, 2, "weeks") == datetime(2026, 2, 14, 12, 0, tzinfo=UTC)
    assert next_refill_at(january_31, 90, "minutes") == datetime(2026, 1, 31, 13, 30, tzinfo=UTC)
    assert next_refill_at(january_31, None, "days") is None
    assert next_refill_at(january_31, 1, "fortnights") is None


def test_refill_off_shows_only_off(client, alice):
    sign_in(client, "alice@example.com")
    assert text_of(statement(client), "refill") == "Auto-refill off"


def test_usage_equals_the_analytics_reports_for_that_user_only(client, alice, mongo):
    bob = create_user("bob@example.com", 1_000_000)
    agent("agent_writer", "Writer", "claude-sonnet-4")
    now = timezone.now()
    for day in range(10):
        when = now - timedelta(days=day, hours=1)
        spend(alice, when, tokens=10_000 * (day + 1), conversation_id=f"a{day}")
        spend(alice, when, token_type="completion", tokens=2_000, rate=10.0, conversation_id=f"a{day}")
        spend(bob, when, tokens=99_000, rate=15.0, conversation_id=f"b{day}")
    conversation(alice, now - timedelta(hours=3), "agent-chat", agent_id="agent_writer")
    two_hours_ago = now - timedelta(hours=2)
    spend(alice, two_hours_ago, tokens=5_000, rate=3.0, model="claude-sonnet-4", conversation_id="agent-chat")
    sign_in(client, "alice@example.com")

    for days in (7, 30):
        page = statement(client, f"?days={days}")
        period = parse_period(f"{days}d")
        alices_row = next(row for row in reports.top_users(period) if row["email"] == "alice@example.com")
        expected = format_credits_and_usd(round(alices_row["totalCost"] * 1_000_000))
        assert text_of(page, "spent") == expected
        models = text_of(page, "usage-models")
        assert "gpt-4o" in models and "claude-sonnet-4" in models
        assert "Writer" in text_of(page, "usage-agents")
        points = re.search(r'id="usage-chart-points"[^>]*>(.*?)</script>', page, re.S).group(1)
        assert points.count('"day"') in (days, days + 1)
    assert 'aria-current="page">30 days' in page
    assert "Usage counted up to" in text_of(page, "usage-age")


def test_an_unknown_period_shows_seven_days(client, alice):
    sign_in(client, "alice@example.com")
    assert 'aria-current="page">7 days' in statement(client, "?days=365")


def test_credits_given_show_source_and_date_never_the_operators_reason(client, alice, mongo):
    change_one(
        Target(alice, "alice@example.com"),
        kind=Kind.ADD,
        amount_credits=1_500_000,
        source="admin",
        actor="olga",
        reason="internal: budget code 4711",
    )
    mongo.transactions.insert_one(documents.credits_transaction(alice, 500_000, context="autoRefill"))
    sign_in(client, "alice@example.com")
    given = text_of(statement(client), "credits-given")
    assert "1,500,000 ($1.50) an administrator" in given
    assert "500,000 ($0.50) auto-refill" in given
    assert "4711" not in statement(client) and "olga" not in statement(client)


def test_it_lists_the_users_credit_requests_with_status(client, alice):
    CreditRequest.objects.create(email="alice@example.com", librechat_user_id=str(alice), amount_wished_credits=5)
    CreditRequest.objects.create(
        email="alice@example.com",
        librechat_user_id=str(alice),
        status="approved",
        amount_granted_credits=2_000_000,
        is_duplicate=True,
    )
    CreditRequest.objects.create(email="bob@example.com", librechat_user_id="0" * 24, reason="bob's")
    sign_in(client, "alice@example.com")
    requests = text_of(statement(client), "credit-requests")
    assert "waiting for a decision" in requests and "approved" in requests and "2,000,000 ($2.00)" in requests
    assert requests.count("alice") == 0 and "bob" not in requests


def test_the_me_cookie_never_opens_the_admin(client, alice):
    sign_in(client, "alice@example.com")
    assert set(client.cookies) >= {signin.COOKIE_NAME} and "sessionid" not in client.cookies
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert client.get("/admin/analytics/").status_code == 302


def test_the_admin_session_never_opens_a_statement(admin_client, alice):
    page = statement(admin_client)
    assert "Mail me a sign-in link" in page and "3,000,000" not in page


def test_a_session_shows_only_its_own_user(client, alice, mongo):
    create_user("bob@example.com", 7_000_000)
    sign_in(client, "bob@example.com")
    page = statement(client)
    assert text_of(page, "balance") == "7,000,000 ($7.00)" and "alice" not in page
    forged = Client()
    forged.cookies[signin.COOKIE_NAME] = client.cookies[signin.COOKIE_NAME].value.replace("b", "c", 1) + "x"
    assert "Mail me a sign-in link" in statement(forged)


def test_an_unreachable_librechat_says_later_without_details(client, alice, unreachable_mongo):
    response = client.post("/me/", {"email": "alice@example.com"})
    page = response.content.decode()
    assert response.status_code == 503 and "try again later" in page.lower()
    assert "127.0.0.1" not in page and "MONGO_URI" not in page


def test_a_statement_without_librechat_says_later(client, alice, unreachable_mongo):
    # Signed in before MongoDB went away.
    session = signin.start_session(alice, "alice@example.com")
    response = HttpResponse()
    signin.set_session_cookie(RequestFactory().get("/me/"), response, session)
    client.cookies[signin.COOKIE_NAME] = response.cookies[signin.COOKIE_NAME].value
    response = client.get("/me/")
    page = response.content.decode()
    assert response.status_code == 503 and "Your credits cannot be shown right now." in page
    assert "MONGO_URI" not in page


def test_it_shows_the_users_policy_and_its_next_allowance(client, alice, settings):
    settings.POLICY_TIME_ZONE = "UTC"
    Policy.objects.create(
        name="Example staff",
        email_domains="example.com",
        action=Policy.Action.TOP_UP_TO,
        amount_credits=5_000_000,
        frequency=Policy.Frequency.MONTHLY,
        month_day=1,
        notes="internal: paid by grant 99",
    )
    change_one(Target(alice, "alice@example.com"), kind=Kind.ADD, amount_credits=1, source="policy", actor="policy")
    sign_in(client, "alice@example.com")
    page = statement(client)
    policy = text_of(page, "policy")
    assert "Example staff" in policy and "Your balance is topped up to 5,000,000 ($5.00). (every month)" in policy
    first_of_next_month = (timezone.now().replace(day=1) + timedelta(days=32)).replace(day=1)
    assert text_of(page, "next-allowance") == f"{first_of_next_month:%Y-%m}-01 00:00 UTC"
    assert "your credit policy" in text_of(page, "credits-given") and "grant 99" not in page


def test_without_a_policy_it_says_so(client, alice):
    sign_in(client, "alice@example.com")
    assert text_of(statement(client), "policy") == "No credit policy gives you credits on a schedule."
