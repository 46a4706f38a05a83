"""Fixed-window rate limits shared by every worker process (the public request page, the API)."""

from datetime import UTC, datetime, timedelta

from django.db import connections, router
from django.utils import timezone

from web.models import RateLimitWindow

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
    hit_count = _count_hit(key[:200], window_start)
    if hit_count == 1:  # this hit opened the window
        RateLimitWindow.objects.filter(window_start__lt=now - _KEEP_WINDOWS_FOR).delete()
    if hit_count <= limit:
        return 0
    return max(1, int((window_start + timedelta(seconds=window_seconds) - now).total_seconds()))


def _count_hit(key: str, window_start: datetime) -> int:
    """Add one to the window's count, opening it if needed, and return the new count.

    One INSERT ... ON CONFLICT DO UPDATE ... RETURNING statement (SQLite >= 3.35 and PostgreSQL):
    atomic across workers without a transaction, where the ORM needs get_or_create, an UPDATE and a
    SELECT. The API counts every request here, so the statement count is its latency.
    """
    connection = connections[router.db_for_write(RateLimitWindow)]
    quote = connection.ops.quote_name
    table = quote(RateLimitWindow._meta.db_table)
    key_column, start_column, count_column = (
        quote(RateLimitWindow._meta.get_field(name).column) for name in ("key", "window_start", "hit_count")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key_column}, {start_column}, {count_column}) VALUES (%s, %s, 1) "
            f"ON CONFLICT ({key_column}, {start_column}) "
            f"DO UPDATE SET {count_column} = {table}.{count_column} + 1 RETURNING {count_column}",
            [key, connection.ops.adapt_datetimefield_value(window_start)],
        )
        return cursor.fetchone()[0]
