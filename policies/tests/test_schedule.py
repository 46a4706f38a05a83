"""Schedule arithmetic: every instant lies in exactly one period, in any zone, across DST and month ends."""

from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.test import override_settings
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.schedule import next_run, next_runs, period_start, period_starts_between

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]

schedules = st.one_of(
    st.builds(
        SimpleNamespace,
        frequency=st.just("daily"),
        time_of_day=st.times(),
        weekday=st.just(0),
        month_day=st.just(1),
    ),
    st.builds(
        SimpleNamespace,
        frequency=st.just("weekly"),
        time_of_day=st.times(),
        weekday=st.integers(0, 6),
        month_day=st.just(1),
    ),
    st.builds(
        SimpleNamespace,
        frequency=st.just("monthly"),
        time_of_day=st.times(),
        weekday=st.just(0),
        month_day=st.integers(0, 28),
    ),
)
instants = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2060, 1, 1), timezones=st.just(UTC))


def schedule(frequency, at="00:00", weekday=0, month_day=1):
    at_time = time.fromisoformat(at)
    return SimpleNamespace(frequency=frequency, time_of_day=at_time, weekday=weekday, month_day=month_day)


@settings(max_examples=300, deadline=None)
@given(policy=schedules, instant=instants, zone=st.sampled_from(ZONES))
def test_every_instant_lies_in_exactly_one_period(policy, instant, zone):
    with override_settings(POLICY_TIME_ZONE=zone):
        begins, ends = period_start(policy, instant), next_run(policy, instant)
        assert begins <= instant < ends
        # The period's own beginning lies in it, and the next period starts where this one ends.
        assert period_start(policy, begins) == begins
        assert period_start(policy, ends) == ends
        assert period_start(policy, ends - timedelta(microseconds=1)) == begins
        assert next_run(policy, begins) == ends


@settings(max_examples=100, deadline=None)
@given(policy=schedules, instant=instants, zone=st.sampled_from(ZONES))
def test_periods_follow_each_other_without_overlap(policy, instant, zone):
    with override_settings(POLICY_TIME_ZONE=zone):
        runs = next_runs(policy, instant, 5)
        assert runs == sorted(set(runs))
        gaps = [later - earlier for earlier, later in pairwise(runs)]
        longest = {"daily": timedelta(hours=25), "weekly": timedelta(days=7, hours=1)}.get(
            policy.frequency, timedelta(days=31, hours=1)
        )
        assert all(timedelta(hours=22) < gap <= longest for gap in gaps)
        assert period_starts_between(policy, runs[0], runs[-1], 10) == runs


@settings(max_examples=100, deadline=None)
@given(policy=schedules, instant=instants, zone=st.sampled_from(ZONES))
def test_each_period_begins_at_the_scheduled_local_day(policy, instant, zone):
    with override_settings(POLICY_TIME_ZONE=zone):
        local = period_start(policy, instant).astimezone(ZoneInfo(zone))
        if policy.frequency == "weekly":
            assert local.weekday() == policy.weekday
        if policy.frequency == "monthly" and policy.month_day:
            assert local.day == policy.month_day
        if policy.frequency == "monthly" and not policy.month_day:
            assert (local + timedelta(days=1)).day == 1


def test_last_day_of_the_month_in_a_leap_year_and_after(settings):
    settings.POLICY_TIME_ZONE = "UTC"
    monthly = schedule("monthly", month_day=0)
    assert next_runs(monthly, datetime(2028, 1, 31, 12, tzinfo=UTC), 3) == [
        datetime(2028, 2, 29, tzinfo=UTC),
        datetime(2028, 3, 31, tzinfo=UTC),
        datetime(2028, 4, 30, tzinfo=UTC),
    ]
    assert next_run(monthly, datetime(2027, 1, 31, 12, tzinfo=UTC)) == datetime(2027, 2, 28, tzinfo=UTC)


def test_monthly_on_day_one_is_at_local_midnight_across_a_dst_change():
    with override_settings(POLICY_TIME_ZONE="Europe/Berlin"):
        monthly = schedule("monthly")
        # Winter (UTC+1) to summer (UTC+2): the 1st of April begins at 22:00 UTC the day before.
        assert next_runs(monthly, datetime(2027, 3, 15, tzinfo=UTC), 2) == [
            datetime(2027, 3, 31, 22, tzinfo=UTC),
            datetime(2027, 4, 30, 22, tzinfo=UTC),
        ]
        assert period_start(monthly, datetime(2027, 4, 1, 0, 30, tzinfo=UTC)) == datetime(2027, 3, 31, 22, tzinfo=UTC)


def test_a_time_the_clock_skips_runs_an_hour_later_on_the_clock():
    with override_settings(POLICY_TIME_ZONE="America/New_York"):
        daily = schedule("daily", at="02:30")
        # 14 March 2027: 02:00 EST jumps to 03:00 EDT; 02:30 is read with the offset before (07:30 UTC).
        runs = next_runs(daily, datetime(2027, 3, 13, 12, tzinfo=UTC), 3)
        assert runs == [
            datetime(2027, 3, 14, 7, 30, tzinfo=UTC),
            datetime(2027, 3, 15, 6, 30, tzinfo=UTC),
            datetime(2027, 3, 16, 6, 30, tzinfo=UTC),
        ]


def test_an_ambiguous_time_runs_once_at_its_first_occurrence():
    with override_settings(POLICY_TIME_ZONE="America/New_York"):
        daily = schedule("daily", at="01:30")
        # 7 November 2027: 01:30 happens twice (EDT, then EST); the period begins at the first.
        runs = next_runs(daily, datetime(2027, 11, 6, 12, tzinfo=UTC), 2)
        assert runs == [datetime(2027, 11, 7, 5, 30, tzinfo=UTC), datetime(2027, 11, 8, 6, 30, tzinfo=UTC)]


def test_weekly_runs_on_its_weekday(settings):
    settings.POLICY_TIME_ZONE = "UTC"
    weekly = schedule("weekly", at="06:00", weekday=4)
    assert next_runs(weekly, datetime(2026, 11, 29, tzinfo=UTC), 2) == [
        datetime(2026, 12, 4, 6, tzinfo=UTC),
        datetime(2026, 12, 11, 6, tzinfo=UTC),
    ]
