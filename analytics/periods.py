"""The reporting period: `period=24h|7d|30d|90d|custom&start=ISO&end=ISO`, in whole UTC hours."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.utils import timezone

PRESETS_HOURS = {"24h": 24, "7d": 7 * 24, "30d": 30 * 24, "90d": 90 * 24}
PERIOD_CHOICES = [*PRESETS_HOURS, "custom"]
DEFAULT_PERIOD = "7d"
# A chart of daily points stays readable, and a typo such as 0206 for 2026 is caught.
MAX_CUSTOM_DAYS = 366
# Up to two days the chart shows hours, beyond that days.
MAX_HOURLY_SPAN = timedelta(hours=48)
HOUR = timedelta(hours=1)
MIN_YEAR, MAX_YEAR = 1970, 9000


@dataclass(frozen=True)
class Period:
    """Whole UTC hours from `start` (included) to `end` (excluded); `bucket` is "hour" or "day".

    `tenant` narrows every report to the usage of one LibreChat tenant's users (a choice on the
    page); `within_tenants` to those of a staff account's or an API key's tenants (a limit).
    """

    name: str
    start: datetime
    end: datetime
    bucket: str
    tenant: str | None = None
    within_tenants: frozenset[str] | None = None

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86_400

    @property
    def last_day(self) -> date:
        """The last day the period touches (its end is excluded), as a date form shows it."""
        return (self.end - timedelta(microseconds=1)).date()

    def query_string(self) -> str:
        """Parameters that parse back to this period."""
        tenant = {} if self.tenant is None else {"tenant": self.tenant}
        if self.name != "custom":
            return urlencode({"period": self.name, **tenant})
        start, end = (f"{moment:%Y-%m-%dT%H:%M}" for moment in (self.start, self.end))
        return urlencode({"period": "custom", "start": start, "end": end, **tenant})


def floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def parse_period(
    period: str | None, start: str | None = None, end: str | None = None, *, now: datetime | None = None
) -> Period:
    """A Period from query parameters, or a ValidationError saying which parameter is wrong.

    Presets end with the current hour (so `24h` is 24 hourly buckets, the last one still filling).
    `custom` needs `start` and `end` as ISO dates or date-times (UTC unless an offset is given); a
    date alone as `end` includes that whole day.
    """
    now = now or timezone.now()
    name = (period or DEFAULT_PERIOD).strip().lower()
    if name not in PERIOD_CHOICES:
        raise ValidationError(f"period must be one of {', '.join(PERIOD_CHOICES)}, not {_shown(period)}.")
    if name != "custom":
        if start or end:
            raise ValidationError("start and end are only used with period=custom.")
        period_end = floor_hour(now) + HOUR
        period_start = period_end - timedelta(hours=PRESETS_HOURS[name])
        return Period(name, period_start, period_end, "hour" if name == "24h" else "day")
    if not start or not end:
        raise ValidationError("period=custom needs both start and end, e.g. start=2026-01-01&end=2026-01-31.")
    first = _parse_moment("start", start, end_of_day=False)
    last = _parse_moment("end", end, end_of_day=True)
    if first >= last:
        raise ValidationError("start must be before end.")
    period_start = floor_hour(first)
    period_end = floor_hour(last) + (HOUR if last != floor_hour(last) else timedelta(0))
    if period_end - period_start > timedelta(days=MAX_CUSTOM_DAYS):
        raise ValidationError(f"A custom period may span at most {MAX_CUSTOM_DAYS} days.")
    bucket = "hour" if period_end - period_start <= MAX_HOURLY_SPAN else "day"
    return Period("custom", period_start, period_end, bucket)


def _parse_moment(label: str, text: str, *, end_of_day: bool) -> datetime:
    text = text.strip()
    example = "an ISO date such as 2026-01-31 or 2026-01-31T12:00:00Z"
    if len(text) > 40:
        raise ValidationError(f"{label} must be {example}.")
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{label} must be {example}, not {_shown(text)}.") from None
    out_of_range = ValidationError(f"{label} must lie between the years {MIN_YEAR} and {MAX_YEAR}.")
    try:
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+14:00 is in the year 0 in UTC, which datetime cannot hold
        raise out_of_range from None
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise out_of_range
    return moment + timedelta(days=1) if len(text) == 10 and end_of_day else moment


def _shown(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else f"{text[:40]}…")
