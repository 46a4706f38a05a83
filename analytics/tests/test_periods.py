from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict

from analytics.periods import parse_period

NOW = datetime(2026, 11, 23, 21, 40, 12, tzinfo=UTC)


def test_presets_end_with_the_current_hour():
    period = parse_period("24h", now=NOW)
    assert (period.start, period.end, period.bucket) == (
        datetime(2026, 11, 22, 22, tzinfo=UTC),
        datetime(2026, 11, 23, 22, tzinfo=UTC),
        "hour",
    )
    assert parse_period("90d", now=NOW).days == 90
    assert parse_period("30d", now=NOW).bucket == "day"


def test_it_defaults_to_seven_days():
    assert parse_period(None, now=NOW) == parse_period("7d", now=NOW)
    assert parse_period(" 7D ", now=NOW).name == "7d"


def test_a_custom_end_date_includes_that_whole_day():
    period = parse_period("custom", "2026-11-01", "2026-11-10", now=NOW)
    assert (period.start, period.end, period.bucket) == (
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 11, 11, tzinfo=UTC),
        "day",
    )


def test_custom_times_become_whole_utc_hours():
    period = parse_period("custom", "2026-11-01T10:30:00+02:00", "2026-11-01T20:15:00Z", now=NOW)
    assert (period.start, period.end, period.bucket) == (
        datetime(2026, 11, 1, 8, tzinfo=UTC),
        datetime(2026, 11, 1, 21, tzinfo=UTC),
        "hour",
    )
    assert parse_period("custom", "2026-11-01T10:00", "2026-11-01T12:00", now=NOW).end == datetime(
        2026, 11, 1, 12, tzinfo=UTC
    )


@pytest.mark.parametrize(
    "period",
    [
        parse_period("30d", now=NOW),
        parse_period("custom", "2026-11-01", "2026-11-10", now=NOW),
        parse_period("custom", "2026-11-01T10:30:00+02:00", "2026-11-01T20:15:00Z", now=NOW),
    ],
)
def test_a_period_survives_its_query_string_and_its_form(period):
    query = QueryDict(period.query_string())
    assert parse_period(query.get("period"), query.get("start"), query.get("end"), now=NOW) == period
    if period.name == "custom" and period.bucket == "day":
        # The form shows the last day included; sent back as a date, it means the same period.
        assert parse_period("custom", str(period.start.date()), str(period.last_day), now=NOW) == period


@pytest.mark.parametrize(
    ("period", "start", "end", "message"),
    [
        ("1y", None, None, "period must be one of 24h, 7d, 30d, 90d, custom, not '1y'."),
        ("x" * 100, None, None, "period must be one of"),
        ("7d", "2026-11-01", None, "start and end are only used with period=custom."),
        ("custom", None, "2026-11-10", "period=custom needs both start and end"),
        ("custom", "2026-11-01", "", "period=custom needs both start and end"),
        ("custom", "yesterday", "2026-11-10", "start must be an ISO date such as 2026-01-31"),
        ("custom", "2026-11-01", "2026-13-01", "end must be an ISO date"),
        ("custom", "2026-11-01", "2" * 50, "end must be an ISO date"),
        ("custom", "2026-11-10", "2026-11-01", "start must be before end."),
        ("custom", "2026-11-01T10:20", "2026-11-01T10:10", "start must be before end."),
        ("custom", "2024-01-01", "2026-11-01", "A custom period may span at most 366 days."),
        ("custom", "0001-01-01", "2026-11-01", "start must lie between the years 1970 and 9000."),
        ("custom", "2026-11-01", "9999-12-31", "end must lie between the years 1970 and 9000."),
        ("custom", "0001-01-01T00:00:00+14:00", "2026-11-01", "start must lie between the years 1970 and 9000."),
        ("custom", "2026-11-01", "9999-12-31T23:00:00-05:00", "end must lie between the years 1970 and 9000."),
    ],
)
def test_it_refuses_bad_parameters_with_a_message(period, start, end, message):
    with pytest.raises(ValidationError) as raised:
        parse_period(period, start, end, now=NOW)
    assert raised.value.messages[0].startswith(message)
