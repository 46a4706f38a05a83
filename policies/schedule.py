"""When a policy's periods begin: plain calendar arithmetic in POLICY_TIME_ZONE.

A period begins at each scheduled local time (a day, a weekday or a day of the month at the
policy's time of day) and lasts until the next one, so every instant lies in exactly one period.
Local times are turned into instants with `fold=0`: a time the clock skips in spring means the
same offset as before the change (an hour later on the clock), an ambiguous one in autumn its
first occurrence. Both keep the instants in calendar order.
"""

import calendar
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from policies.models import Policy


def policy_zone() -> ZoneInfo:
    return ZoneInfo(settings.POLICY_TIME_ZONE)


def period_start(policy, instant: datetime) -> datetime:
    """The beginning (UTC) of the period holding `instant`: the latest scheduled time at or before it."""
    zone, at = policy_zone(), _time_of(policy)
    # From two days ahead of the local date: no zone's offset change moves a local date further.
    days = _scheduled_days(policy, instant.astimezone(zone).date() + timedelta(days=2), step=-1)
    return next(begins for begins in (_instant(day, at, zone) for day in days) if begins <= instant)


def next_run(policy, instant: datetime) -> datetime:
    """The beginning (UTC) of the period after the one holding `instant`."""
    zone, at = policy_zone(), _time_of(policy)
    days = _scheduled_days(policy, instant.astimezone(zone).date() - timedelta(days=2), step=1)
    return next(begins for begins in (_instant(day, at, zone) for day in days) if begins > instant)


def next_runs(policy, instant: datetime, count: int) -> list[datetime]:
    """The beginnings of the next `count` periods after the one holding `instant`."""
    runs = []
    for _ in range(count):
        instant = next_run(policy, instant)
        runs.append(instant)
    return runs


def period_starts_between(policy, since: datetime, until: datetime, limit: int) -> list[datetime]:
    """Period beginnings in [since, until], oldest first, at most the latest `limit` of them."""
    starts = []
    begins = period_start(policy, until)
    while begins >= since and len(starts) < limit:
        starts.append(begins)
        begins = period_start(policy, begins - timedelta(microseconds=1))
    return starts[::-1]


def _time_of(policy) -> time:
    value = policy.time_of_day
    return value if isinstance(value, time) else time.fromisoformat(value)


def _instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at.replace(tzinfo=zone, fold=0)).astimezone(UTC)


def _is_scheduled(policy, day: date) -> bool:
    if policy.frequency == Policy.Frequency.DAILY:
        return True
    if policy.frequency == Policy.Frequency.WEEKLY:
        return day.weekday() == policy.weekday
    if policy.month_day == Policy.LAST_DAY:
        return day.day == calendar.monthrange(day.year, day.month)[1]
    return day.day == policy.month_day


def _scheduled_days(policy, start: date, step: int) -> Iterator[date]:
    """Scheduled local dates from `start` on, one day at a time (`step` 1 forward, -1 back), endlessly."""
    day = start
    while True:
        if _is_scheduled(policy, day):
            yield day
        day += timedelta(days=step)


def upcoming_runs(instant: datetime, limit: int) -> list[tuple[Policy, datetime]]:
    """The next run of each active policy, soonest first, at most `limit` of them (policies are few)."""
    runs = [(policy, next_run(policy, instant)) for policy in Policy.objects.filter(active=True)]
    return sorted(runs, key=lambda run: (run[1], run[0].priority, run[0].name))[:limit]
