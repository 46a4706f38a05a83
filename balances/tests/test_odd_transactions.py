"""list_balances and user_stats go on through transactions whose amounts are not numbers, counting them."""

import csv
import io
import math
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from librechat import documents
from librechat.testing import create_user

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


def spend(mongo, user_id, when, **amounts) -> None:
    """Insert a LibreChat prompt row of 1000 tokens at 2.5; `amounts` overrides rawAmount and tokenValue as stored."""
    row = documents.spending_transaction(
        user_id, token_type="prompt", tokens=1000, rate=2.5, model="gpt-4o", conversation_id="c", created_at=when
    )
    mongo.transactions.insert_one(row | amounts)


@pytest.fixture
def alice(mongo):
    alice = create_user("alice@example.com", 1_000_000)
    when = timezone.now() - timedelta(hours=1)
    spend(mongo, alice, when)
    spend(mongo, alice, when, rawAmount=math.nan, tokenValue=math.nan)  # int(NaN) took both commands down
    spend(mongo, alice, when, rawAmount="-5", tokenValue="-12.5")  # $abs of a string fails in MongoDB
    spend(mongo, alice, when, tokenValue=math.inf)
    return alice


def rows_of(command: str, *args) -> dict:
    out = io.StringIO()
    call_command(command, "--format", "csv", *args, stdout=out)
    return {row["email"]: row for row in csv.DictReader(io.StringIO(out.getvalue()))}


def test_list_balances_counts_invalid_transactions_and_skips_them(alice):
    row = rows_of("list_balances")["alice@example.com"]
    assert (row["tokens_used"], row["invalid_transactions"]) == ("2000", "3")


def test_user_stats_counts_invalid_transactions_and_skips_them(alice):
    row = rows_of("user_stats")["alice@example.com"]
    assert (row["tokens"], row["cost_usd"], row["invalid_transactions"]) == ("2000", "0.00", "3")


def test_every_page_reading_transactions_goes_on_through_odd_amounts(admin_client, alice, mongo):
    mongo.transactions.insert_many(
        [
            {"user": alice, "tokenType": "credits", "context": "admin", "rawAmount": "x", "tokenValue": "lots"},
            {"user": alice, "tokenType": "credits", "context": "admin", "rawAmount": math.nan, "tokenValue": math.nan},
        ]
    )
    for url in (
        "/admin/balances/transaction/",
        f"/admin/balances/librechatuser/{alice}/change/",
        "/admin/audit/balancechange/librechat-credits/",
        "/admin/",
    ):
        assert admin_client.get(url).status_code == 200, url
