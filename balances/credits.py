"""Credit arithmetic and display: LibreChat counts 1,000,000 credits per US dollar."""

from decimal import Decimal

CREDITS_PER_USD = 1_000_000


def usd_from_credits(amount_credits: float | int | None) -> Decimal:
    """The dollar value of an amount of credits, to the cent."""
    return (Decimal(amount_credits or 0) / CREDITS_PER_USD).quantize(Decimal("0.01"))


def format_usd(amount_credits: float | int | None) -> str:
    """Credits shown as dollars, e.g. `$1.25` or `-$0.30`."""
    usd = usd_from_credits(amount_credits)
    sign = "-" if usd < 0 else ""
    return f"{sign}${abs(usd):,.2f}"


def format_credits_and_usd(amount_credits: float | int | None, unit: str = "") -> str:
    """`1,500,000 ($1.50)`, or with `unit=" credits"` `1,500,000 credits ($1.50)` for sentences."""
    return f"{format_credits(amount_credits)}{unit} ({format_usd(amount_credits)})"


def format_credits(amount_credits: float | int | None) -> str:
    """Credits with thousands separators; LibreChat's fractional credits are rounded for display."""
    if amount_credits is None:
        return "no balance"
    return f"{round(amount_credits):,}"
