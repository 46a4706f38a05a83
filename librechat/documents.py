"""The exact shapes of the LibreChat documents this project writes.

The ledger, the demo seeder and the tests all build LibreChat documents here, so that what we
write always looks like what LibreChat itself writes (see shared/librechat.md).
"""

import math
from datetime import datetime

from bson import Decimal128, ObjectId
from django.utils import timezone


def credits_transaction(
    user_id: ObjectId,
    amount_credits: float,
    *,
    context: str = "admin",
    created_at: datetime | None = None,
    transaction_id: ObjectId | None = None,
    tenant_id: object = None,
) -> dict:
    """A `credits` row as LibreChat's own add-balance script writes it (negative when lowering).

    `tenant_id` is the user's: LibreChat's tenant plugin hides rows of another (or no) tenant.
    """
    created_at = created_at or timezone.now()
    return {
        "_id": transaction_id or ObjectId(),
        "user": user_id,
        "tokenType": "credits",
        "context": context,
        "rawAmount": amount_credits,
        "rate": 1,
        "tokenValue": amount_credits,
        "createdAt": created_at,
        "updatedAt": created_at,
        **tenant(tenant_id),
    }


def tenant(tenant_id: object) -> dict:
    """The `tenantId` field to stamp on a document written for a user of that tenant (none without one)."""
    return {} if tenant_id is None else {"tenantId": tenant_id}


def spending_transaction(
    user_id: ObjectId,
    *,
    token_type: str,
    tokens: int,
    rate: float,
    model: str,
    conversation_id: str,
    created_at: datetime,
    context: str = "message",
    transaction_id: ObjectId | None = None,
) -> dict:
    """A prompt or completion row: negative amounts, `tokenValue = rawAmount * rate`."""
    raw_amount = -abs(tokens)
    return {
        "_id": transaction_id or ObjectId(),
        "user": user_id,
        "conversationId": conversation_id,
        "model": model,
        "context": context,
        "tokenType": token_type,
        "rawAmount": raw_amount,
        "rate": rate,
        "tokenValue": raw_amount * rate,
        "createdAt": created_at,
        "updatedAt": created_at,
    }


def user(
    email: str,
    *,
    name: str = "",
    username: str = "",
    role: str = "USER",
    provider: str = "local",
    created_at: datetime | None = None,
    user_id: ObjectId | None = None,
    tenant_id: object = None,
) -> dict:
    created_at = created_at or timezone.now()
    return {
        "_id": user_id or ObjectId(),
        "name": name,
        "username": username,
        "email": email.lower(),
        "emailVerified": True,
        "role": role,
        "provider": provider,
        "createdAt": created_at,
        "updatedAt": created_at,
        "__v": 0,
        **tenant(tenant_id),
    }


def balance(
    user_id: ObjectId,
    token_credits: float,
    *,
    balance_id: ObjectId | None = None,
    tenant_id: object = None,
    **refill,
) -> dict:
    """A balance document; `refill` takes LibreChat's camelCase fields as given (refill settings, reservations)."""
    return {
        "_id": balance_id or ObjectId(),
        "user": user_id,
        "tokenCredits": token_credits,
        **refill,
        "__v": 0,
        **tenant(tenant_id),
    }


def credits_number(value: object) -> float | None:
    """A stored `tokenCredits` as a float, or None when it is not a usable number.

    LibreChat writes plain numbers, but older scripts and hand edits leave strings, Decimal128,
    NaN or Infinity behind; none of those may be changed by arithmetic.
    """
    if isinstance(value, Decimal128):
        value = value.to_decimal()
        return float(value) if value.is_finite() else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None
