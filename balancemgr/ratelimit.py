"""Fixed-window rate limits shared by every worker process (the public request page, the API)."""

from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from balancemgr.models import RateLimitWindow

# Old windows are deleted as new ones open, so the table holds about a day of keys.
_KEEP_WINDOWS_FOR = timedelta(days=1)


def seconds_until_allowed(key: str, *, limit: int, window_seconds: int) -> int:
    """Count one hit for `key`; 0 when it is within `limit` hits per window, else seconds to wait.

    A `limit` of 0 or less means no limit.
    """
    if limit <= 0:
        return 0
    now = timezone.now()
    window_start = datetime.fromtimestamp(now.timestamp() // window_seconds * window_seconds, tz=UTC)
    window, created = _window(key, window_start)
    if created:
        RateLimitWindow.objects.filter(window_start__lt=now - _KEEP_WINDOWS_FOR).delete()
    # One UPDATE ... SET hit_count = hit_count + 1: atomic on SQLite and PostgreSQL alike.
    RateLimitWindow.objects.filter(pk=window.pk).update(hit_count=F("hit_count") + 1)
    hit_count = RateLimitWindow.objects.values_list("hit_count", flat=True).get(pk=window.pk)
    if hit_count <= limit:
        return 0
    return max(1, int((window_start + timedelta(seconds=window_seconds) - now).total_seconds()))


def _window(key: str, window_start: datetime) -> tuple[RateLimitWindow, bool]:
    try:
        with transaction.atomic():
            return RateLimitWindow.objects.get_or_create(key=key[:200], window_start=window_start)
    except IntegrityError:  # another worker opened the same window first
        return RateLimitWindow.objects.get(key=key[:200], window_start=window_start), False
