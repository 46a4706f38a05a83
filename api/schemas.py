"""Request and response shapes. LibreChat PR #11754's fields first; everything after them is ours."""

from datetime import datetime
from typing import Annotated

from django.conf import settings
from django.core.exceptions import ValidationError
from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Field, WithJsonSchema

from ledger.changes import Kind, clean_amount

MAX_EMAIL_LENGTH = 320


def _json_credits(kind: str):
    def parse(value: object) -> int:
        # JSON integers only: 5.0, "5" and true are refused rather than guessed at.
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"Amount must be a whole number of credits as a JSON integer, not {value!r:.40}.")
        try:
            return clean_amount(value, kind)
        except ValidationError as exc:
            raise ValueError(exc.messages[0]) from exc

    minimum = 0 if kind == Kind.SET else 1
    json_schema = {"type": "integer", "minimum": minimum, "maximum": settings.MAX_CREDIT_AMOUNT}
    return Annotated[int, BeforeValidator(parse), WithJsonSchema(json_schema)]


SetAmount = _json_credits(Kind.SET)
AddAmount = _json_credits(Kind.ADD)
Email = Annotated[
    str,
    Field(
        min_length=1, max_length=MAX_EMAIL_LENGTH, description="Matched ignoring case.", examples=["alice@example.com"]
    ),
]
# PostgreSQL cannot store a NUL character in text.
Reason = Annotated[str, Field(max_length=500, pattern=r"^[^\x00]*$", description="Why, for the audit history.")]


class ChangeIn(Schema):
    model_config = ConfigDict(extra="forbid")
    email: Email
    reason: Reason = ""


class SetBalanceIn(ChangeIn):
    amount: SetAmount = Field(description="The new balance in credits (1,000,000 = $1.00).")


class AddBalanceIn(ChangeIn):
    amount: AddAmount = Field(description="Credits to add (1,000,000 = $1.00).")


Credits = Annotated[
    int | float, Field(description="LibreChat's tokenCredits (1,000,000 = $1.00); spending leaves fractions.")
]
Usd = Annotated[str, Field(description="The balance in US dollars to the cent, as a decimal string.")]
Available = Annotated[
    int | float | None,
    Field(description="Credits LibreChat admits requests against: balance less held. Null when balance is."),
]
Held = Annotated[int | float, Field(description="Credits held by requests in flight (unexpired reservations).")]
UsersPolicy = Annotated[
    str | None,
    Field(description="The name of the credit policy the user belongs to (the first active one by priority), or null."),
]
PolicyName = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        description='Only the users of the active credit policy with this name; "none": the users no policy reaches.',
    ),
]


class AutoRefillOut(Schema):
    enabled: bool
    refillIntervalValue: int | float | None
    refillIntervalUnit: str | None
    refillAmount: int | float | None
    lastRefill: datetime | None
    nextRefill: datetime | None = Field(
        description="When LibreChat's next auto-refill becomes due (now when it is); null when auto-refill is off."
    )


class BalanceOut(Schema):
    email: str
    balance: Credits
    hasBalanceRecord: bool = Field(description="False: LibreChat has no balance document for the user (balance 0).")
    usd: Usd
    autoRefill: AutoRefillOut
    available: Available
    held: Held
    policy: UsersPolicy


class ChangeOut(Schema):
    message: str
    email: str
    balance: Credits
    hasBalanceRecord: bool
    usd: Usd
    autoRefill: AutoRefillOut
    available: Available
    held: Held
    delta: Credits = Field(description="How much this change moved the balance.")
    transactionId: str | None = Field(description="LibreChat's `credits` transaction row; null when delta is 0.")
    batchId: str = Field(description="This tool's audit batch; derived from the Idempotency-Key when one was sent.")


class UserBalanceOut(Schema):
    userId: str
    email: str | None = Field(description="Null when the balance document's user no longer exists.")
    balance: Credits | None = Field(description="Null when LibreChat's document holds no number.")
    usd: Usd | None
    autoRefill: AutoRefillOut
    available: Available
    held: Held
    policy: UsersPolicy


class UserPageOut(Schema):
    users: list[UserBalanceOut]
    nextCursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


def _query_credits(value: object) -> int:
    try:
        return clean_amount(value, Kind.SET)
    except ValidationError as exc:
        raise ValueError(exc.messages[0]) from exc


QueryCredits = Annotated[
    int,
    BeforeValidator(_query_credits),
    WithJsonSchema({"type": "integer", "minimum": 0, "maximum": settings.MAX_CREDIT_AMOUNT}),
]
