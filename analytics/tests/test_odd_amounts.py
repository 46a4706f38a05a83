"""Transactions whose amounts are not numbers (NaN, Infinity, strings) are counted as invalid and skipped."""

import math
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.models import UsageRollup
from analytics.rollup import refresh_usage
from analytics.testing import spend
from librechat.testing import create_user

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


@pytest.fixture
def odd_usage(mongo):
    alice = create_user("alice@example.com", 5_000_000)
    when = timezone.now() - timedelta(hours=2)
    spend(alice, when, tokens=1_000_000, rate=2.5)  # $2.50
    spend(alice, when, rawAmount="-12", tokenValue="-30")  # a string makes $abs fail in MongoDB
    spend(alice, when, rawAmount=math.nan, tokenValue=math.nan)
    spend(alice, when, tokenValue=-math.inf)
    return alice


def test_refresh_usage_skips_and_counts_rows_whose_amounts_are_not_numbers(odd_usage):
    result = refresh_usage()
    assert result.finished
    (row,) = UsageRollup.objects.all()
    assert (row.rows, row.invalid_rows, row.cost_millicredits) == (4, 3, 2_500_000 * 1000)
    assert row.raw_tokens == 1_000_000 + 1000  # the Infinity row's rawAmount is a number


def test_the_pages_show_the_skipped_rows(viewer_client, odd_usage):
    page = viewer_client.get(reverse("analytics:overview"))
    assert page.status_code == 200
    assert "Transactions skipped: amount not a number" in page.content.decode()
