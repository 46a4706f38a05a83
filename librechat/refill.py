"""When LibreChat refills a balance next, computed as its own code does.

LibreChat (data-schemas 0.0.71) refills lazily: when a request finds the available balance too
low and the refill is due. Due means `autoRefillEnabled`, `refillAmount > 0` and now at or past
`getRefillEligibilityDate(lastRefill, refillIntervalValue ?? 0, refillIntervalUnit ?? "days")`
(librechat-data-provider 0.8.524); a missing or invalid `lastRefill` is due at once.
"""

import math
from datetime import UTC, datetime, timedelta

SECONDS_PER_UNIT = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400, "weeks": 7 * 86400}


def refill_eligibility_date(last_refill: datetime, value: object, unit: object) -> datetime | None:
    """`getRefillEligibilityDate` in UTC: calendar arithmetic, months as JavaScript's `setMonth` (Jan 31 + 1 = Mar 3).

    None where JavaScript's date would be invalid (a value that is not a number): never due.
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    steps = int(value)  # JavaScript's Date setters truncate their argument
    if unit in SECONDS_PER_UNIT:
        return last_refill + timedelta(seconds=steps * SECONDS_PER_UNIT[unit])
    if unit == "months":
        year, month = divmod(last_refill.month - 1 + steps, 12)
        first_of_month = last_refill.replace(year=last_refill.year + year, month=month + 1, day=1)
        return first_of_month + timedelta(days=last_refill.day - 1)  # overflowing days roll into the next month
    return last_refill  # an unknown unit leaves the date as it is


def next_refill_at(document: dict | None) -> datetime | None:
    """When the user's next auto-refill becomes due (now when it already is); None when auto-refill is off."""
    document = document or {}
    amount = document.get("refillAmount")
    if document.get("autoRefillEnabled") is not True or isinstance(amount, bool):
        return None
    if not isinstance(amount, int | float) or not amount > 0:
        return None
    last_refill = document.get("lastRefill")
    if not isinstance(last_refill, datetime):
        return datetime.now(UTC)
    last_refill = last_refill if last_refill.tzinfo else last_refill.replace(tzinfo=UTC)
    value, unit = document.get("refillIntervalValue"), document.get("refillIntervalUnit")
    # JavaScript's `??`: only a missing or null field takes the default.
    return refill_eligibility_date(last_refill, 0 if value is None else value, "days" if unit is None else unit)
