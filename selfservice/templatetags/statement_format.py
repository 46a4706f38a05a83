from datetime import UTC, datetime

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString
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
def moment(value: datetime) -> SafeString:
    """A point in time in UTC, marked up for statement.js to show in the reader's own time zone."""
    in_utc = value.astimezone(UTC)
    return format_html(
        '<time class="moment" datetime="{}">{} UTC</time>',
        in_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
        in_utc.strftime("%Y-%m-%d %H:%M"),
    )


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


_POLICY_ACTIONS = {
    "top_up_to": lambda policy: gettext("Your balance is topped up to %(amount)s.") % _amount(policy),
    "reset": lambda policy: gettext("Your balance is set to %(amount)s.") % _amount(policy),
    "add": lambda policy: (
        gettext("%(amount)s are added to your balance.") % _amount(policy)
        if policy.cap_credits is None
        else gettext("%(amount)s are added to your balance, up to at most %(cap)s.")
        % {**_amount(policy), "cap": format_credits_and_usd(policy.cap_credits)}
    ),
    "expire": lambda policy: gettext("Unused credits expire."),
}
_POLICY_FREQUENCIES = {"daily": "days", "weekly": "weeks", "monthly": "months"}


@register.filter
def policy_change(policy) -> str:
    """What a credit policy does to the user's balance each period, in a sentence."""
    return _POLICY_ACTIONS[policy.action](policy) if policy.action in _POLICY_ACTIONS else ""


@register.filter
def policy_frequency(policy) -> str:
    unit = _POLICY_FREQUENCIES.get(policy.frequency)
    return _UNITS[unit](1) if unit else policy.frequency


def _amount(policy) -> dict:
    return {"amount": format_credits_and_usd(policy.amount_credits)}
