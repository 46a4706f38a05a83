"""list_balances and user_stats go on through transactions whose amounts are not numbers, counting them."""

import csv
import io
import math
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from analytics.testing import spend
from librechat.testing import create_user

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


@pytest.fixture
def alice(mongo):
    alice = create_user("alice@example.com", 1_000_000)
    when = timezone.now() - timedelta(hours=1)
    spend(alice, when, tokens=1000, rate=2.5)
    spend(alice, when, rawAmount=math.nan, tokenValue=math.nan)  # int(NaN) took both commands down
    spend(alice, when, rawAmount="-5", tokenValue="-12.5")  # $abs of a string fails in MongoDB
    spend(alice, when, tokenValue=math.inf)
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
