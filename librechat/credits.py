"""Credit arithmetic, parsing and display: LibreChat counts 1,000,000 credits per US dollar."""

import re
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from librechat.documents import credits_number

CREDITS_PER_USD = 1_000_000
# librechat.yaml's balance.startBalance default: what LibreChat gives each new user, with no transaction.
LIBRECHAT_START_BALANCE_CREDITS = 20_000
# ASCII digits only (str.isdigit() also accepts "²" and "①", which int() then refuses), with
# optional thousands separators in groups of three: "5,5" is a typo, not 55.
_AMOUNT_PATTERN = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,3}(?:_[0-9]{3})+|[0-9]+", re.ASCII)
_MAX_AMOUNT_TEXT_LENGTH = 40
# Thresholds (filters, --below) may exceed MAX_CREDIT_AMOUNT, since they grant nothing, but stay
# exact in a double, as MongoDB compares them.
LARGEST_THRESHOLD_CREDITS = 2**53


def parse_credits(value: object, *, minimum_credits: int = 0, maximum_credits: int | None = None) -> int:
    """A whole amount of credits from user input, or a ValidationError that says what is wrong.

    Accepts an int or a string of ASCII digits (thousands separators "," or "_" in groups of
    three); the result lies between `minimum_credits` and `maximum_credits` (MAX_CREDIT_AMOUNT by
    default). Every form, filter, file, command and API parses amounts here.
    """
    maximum_credits = settings.MAX_CREDIT_AMOUNT if maximum_credits is None else maximum_credits
    if isinstance(value, int) and not isinstance(value, bool):
        amount = value
    elif isinstance(value, str) and len(value) <= _MAX_AMOUNT_TEXT_LENGTH and _AMOUNT_PATTERN.fullmatch(value.strip()):
        amount = int(value.strip().replace(",", "").replace("_", ""))
    else:
        shown = value if len(str(value)) <= _MAX_AMOUNT_TEXT_LENGTH else f"{str(value)[:_MAX_AMOUNT_TEXT_LENGTH]}…"
        raise ValidationError(
            gettext("Amount must be a whole number of credits such as 5000000 or 5,000,000, not %(value)s.")
            % {"value": repr(str(shown))}
        )
    if amount < minimum_credits:
        raise ValidationError(gettext("Amount must be at least %(minimum)s credits.") % {"minimum": minimum_credits})
    if amount > maximum_credits:
        setting = " (MAX_CREDIT_AMOUNT)" if maximum_credits == settings.MAX_CREDIT_AMOUNT else ""
        raise ValidationError(
            gettext("Amount must be at most %(maximum)s credits%(setting)s.")
            % {"maximum": format_credits(maximum_credits), "setting": setting}
        )
    return amount


def usd_from_credits(amount_credits: object) -> Decimal:
    """The dollar value of an amount of credits, to the cent (0 for a stored value that is not a number)."""
    return (Decimal(credits_number(amount_credits) or 0) / CREDITS_PER_USD).quantize(Decimal("0.01"))


def format_usd(amount_credits: object) -> str:
    """Credits shown as dollars, e.g. `$1.25`, `-$0.30` or `< $0.01`; empty for a stored value that is not a number."""
    number = credits_number(amount_credits) if amount_credits is not None else 0
    if number is None:
        return ""
    return format_dollars(Decimal(number) / CREDITS_PER_USD)


def format_dollars(amount_usd: object) -> str:
    """US dollars for people: `$1,234.50`, `-$0.30`; a non-zero amount under a cent as `< $0.01`, whatever
    its sign (it stands next to signed credits: "-4,000 (< $0.01)"); empty for what is not a finite number."""
    try:
        usd = Decimal(str(amount_usd)) if not isinstance(amount_usd, Decimal) else amount_usd
    except (InvalidOperation, ValueError, TypeError):
        return ""
    if not usd.is_finite():
        return ""
    if 0 < abs(usd) < Decimal("0.01"):
        return "< $0.01"
    cents = usd.quantize(Decimal("0.01"))
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents):,.2f}"


def format_count(count: object, noun: str) -> str:
    """A count and its noun for people: `1 user`, `2 users`, `1,250 users`; `noun` may be `entry,entries`."""
    singular, _, plural = noun.partition(",")
    number = round(credits_number(count) or 0)
    return f"{number:,} {singular if number == 1 else plural or singular + 's'}"


def format_credits_and_usd(amount_credits: object, unit: str = "") -> str:
    """`1,500,000 ($1.50)`, or with `unit=" credits"` `1,500,000 credits ($1.50)` for sentences."""
    if amount_credits is not None and credits_number(amount_credits) is None:
        return format_credits(amount_credits)
    return f"{format_credits(amount_credits)}{unit} ({format_usd(amount_credits)})"


def format_credits(amount_credits: object) -> str:
    """Credits with thousands separators, LibreChat's fractional credits rounded; a stored value that is
    not a number (a string, NaN, Infinity) is shown as `invalid: ...` rather than breaking the page."""
    if amount_credits is None:
        return "no balance"
    number = credits_number(amount_credits)
    if number is None:
        return f"invalid: {str(amount_credits)[:_MAX_AMOUNT_TEXT_LENGTH]!r}"
    return f"{round(number):,}"
