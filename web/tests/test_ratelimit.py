from datetime import UTC, datetime

import pytest
from django.utils import timezone

from web.models import RateLimitWindow
from web.ratelimit import seconds_until_allowed

pytestmark = pytest.mark.django_db


def test_it_allows_up_to_the_limit_then_says_how_long_to_wait():
    answers = [seconds_until_allowed("ip:192.0.2.1", limit=3, window_seconds=3600) for _ in range(4)]
    assert answers[:3] == [0, 0, 0]
    assert 1 <= answers[3] <= 3600
    assert RateLimitWindow.objects.get(key="ip:192.0.2.1").hit_count == 4


def test_it_counts_each_key_apart():
    seconds_until_allowed("ip:192.0.2.1", limit=1, window_seconds=60)
    assert seconds_until_allowed("ip:192.0.2.2", limit=1, window_seconds=60) == 0


def test_a_limit_of_zero_means_no_limit_and_stores_nothing():
    assert seconds_until_allowed("email:a@example.com", limit=0, window_seconds=60) == 0
    assert not RateLimitWindow.objects.exists()


def test_it_forgets_windows_older_than_a_day():
    RateLimitWindow.objects.create(key="old", window_start=timezone.now() - timezone.timedelta(days=2), hit_count=9)
    seconds_until_allowed("new", limit=5, window_seconds=60)
    assert list(RateLimitWindow.objects.values_list("key", flat=True)) == ["new"]


def test_it_counts_on_in_a_window_the_orm_opened():
    # The one-statement upsert must store window starts exactly as the ORM does, or the unique
    # constraint would not see the same window and the limit would reset.
    window_start = datetime.fromtimestamp(timezone.now().timestamp() // 3600 * 3600, tz=UTC)
    RateLimitWindow.objects.create(key="ip:192.0.2.9", window_start=window_start, hit_count=2)
    assert seconds_until_allowed("ip:192.0.2.9", limit=3, window_seconds=3600) == 0
    assert seconds_until_allowed("ip:192.0.2.9", limit=3, window_seconds=3600) > 0
    assert list(RateLimitWindow.objects.values_list("hit_count", flat=True)) == [4]
