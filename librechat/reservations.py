"""Credits held by LibreChat's in-flight requests, and what is left to spend.

Before a request runs, LibreChat (data-schemas 0.0.71) reserves its estimated cost on the
balance document (`reservations: [{id, amount, expiresAt}]`) and admits requests only against
`tokenCredits` less the holds. A hold left by a crashed request stops counting at its expiry,
before anything prunes it: this is `findBalanceByUser(user, {includeReservedCredits: true})`.
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils import timezone

from librechat.documents import credits_number


@dataclass(frozen=True, slots=True)
class Hold:
    reservation_id: str
    amount_credits: float
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Spendable:
    """`available_credits` is None when `tokenCredits` is not a number (or there is no document)."""

    available_credits: float | None
    held_credits: float
    holds: tuple[Hold, ...]


def spendable(document: dict | None, now: datetime | None = None) -> Spendable:
    """Available and held credits of a balance document as LibreChat computes them; expired holds do not count."""
    if document is None:
        return Spendable(None, 0.0, ())
    now = now or timezone.now()
    holds = tuple(hold for hold in _holds(document.get("reservations")) if hold.expires_at > now)
    held = sum(hold.amount_credits for hold in holds)
    credits = credits_number(document.get("tokenCredits", 0))
    return Spendable(None if credits is None else credits - held, held, holds)


def _holds(reservations: object) -> list[Hold]:
    # Hand edits may leave anything here; a hold without a number and a date cannot count.
    if not isinstance(reservations, list):
        return []
    holds = []
    for reservation in reservations:
        if not isinstance(reservation, dict):
            continue
        amount, expires_at = reservation.get("amount"), reservation.get("expiresAt")
        if isinstance(amount, bool) or not isinstance(amount, int | float) or not math.isfinite(amount):
            continue
        if not isinstance(expires_at, datetime):
            continue
        aware = expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=UTC)  # pymongo reads naive UTC
        holds.append(Hold(str(reservation.get("id", "")), float(amount), aware))
    return holds
