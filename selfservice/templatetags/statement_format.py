from django import template
from django.utils.translation import gettext, gettext_lazy, ngettext

from librechat.credits import CREDITS_PER_USD, format_credits_and_usd

register = template.Library()

_UNITS = {
    "seconds": lambda n: ngettext("every second", "every %(n)s seconds", n),
    "minutes": lambda n: ngettext("every minute", "every %(n)s minutes", n),
    "hours": lambda n: ngettext("every hour", "every %(n)s hours", n),
    "days": lambda n: ngettext("every day", "every %(n)s days", n),
    "weeks": lambda n: ngettext("every week", "every %(n)s weeks", n),
    "months": lambda n: ngettext("every month", "every %(n)s months", n),
}

# The statuses of requests_app.models.CreditRequest, in the visitor's language.
_REQUEST_STATUSES = {
    "pending": gettext_lazy("waiting for a decision"),
    "approved": gettext_lazy("approved"),
    "rejected": gettext_lazy("not approved"),
    "expired": gettext_lazy("expired"),
}


@register.filter
def request_status(status: str) -> str:
    return _REQUEST_STATUSES.get(status, status)


@register.filter
def credits_usd(amount_credits: object) -> str:
    """`1,500,000 ($1.50)`; a value that is not a number is shown as invalid."""
    if amount_credits is None:
        return gettext("no balance")
    return format_credits_and_usd(amount_credits)


@register.filter
def usd_in_credits(usd: float) -> str:
    """A report's USD figure in the statement's credits-and-dollars form."""
    return format_credits_and_usd(round(usd * CREDITS_PER_USD))


@register.filter
def whole_number(value: int) -> str:
    return f"{value:,}"


@register.simple_tag
def refill_interval(value: float | None, unit: str | None) -> str:
    if value is None or unit not in _UNITS:
        return gettext("not set")
    number = int(value) if float(value).is_integer() else value
    return _UNITS[unit](number) % {"n": number}
