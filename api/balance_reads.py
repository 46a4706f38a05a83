"""What the API answers about balances, read from LibreChat's MongoDB.

LibreChat reads a user's earliest balance document (older installs hold duplicates), so every
balance shown here is that document's.
"""

import base64
import binascii

from bson import ObjectId
from bson.errors import InvalidId

from api.errors import ApiError
from ledger.changes import Target
from librechat.credits import usd_from_credits
from librechat.documents import credits_number
from librechat.mongo import librechat_db
from librechat.queries import earliest_balances, user_ids_by_email, user_ids_matching
from librechat.refill import next_refill_at
from librechat.reservations import spendable
from policies.membership import NO_POLICY, policies_of, users_filter_named
from tenancy.scope import in_scope, users_filter

REFILL_FIELDS = ["autoRefillEnabled", "refillIntervalValue", "refillIntervalUnit", "refillAmount", "lastRefill"]
_PROJECTION = {"user": 1, "tokenCredits": 1, "reservations": 1, **dict.fromkeys(REFILL_FIELDS, 1)}


def one_user(email: str, tenants: frozenset[str] | None = None) -> Target:
    """The LibreChat user with this email, ignoring case as everywhere else, or a 404/409 error.

    A key limited to `tenants` is answered about another tenant's user as about an unknown one.
    """
    email = email.strip().lower()
    user_ids = user_ids_by_email([email]).get(email, [])
    if tenants is not None:
        allowed = in_scope(user_ids, tenants)
        user_ids = [user_id for user_id in user_ids if user_id in allowed]
    if len(user_ids) > 1:
        raise ApiError(409, "ambiguous_email", "Several LibreChat users (tenants) have this email; refusing to guess.")
    if not user_ids:
        # The words of LibreChat PR #11754, so scripts matching on them keep working.
        raise ApiError(404, "user_not_found", "No user with that email was found!")
    return Target(user_ids[0], email)


def effective_balance_document(user_id: ObjectId) -> dict | None:
    return librechat_db().balances.find_one({"user": user_id}, _PROJECTION, sort=[("_id", 1)])


def balance_fields(document: dict | None) -> dict:
    """balance, hasBalanceRecord, usd, autoRefill, available and held; without a document the balance is 0."""
    if document is None:
        return {
            "balance": 0,
            "hasBalanceRecord": False,
            "usd": "0.00",
            "autoRefill": auto_refill(None),
            **available_and_held(None),
        }
    balance = json_number(document.get("tokenCredits", 0))
    if balance is None:
        raise ApiError(
            409,
            "invalid_balance_document",
            f"LibreChat's balance document holds tokenCredits={document.get('tokenCredits')!r:.40}, not a number.",
        )
    usd = str(usd_from_credits(balance))
    fields = {"balance": balance, "hasBalanceRecord": True, "usd": usd, "autoRefill": auto_refill(document)}
    return {**fields, **available_and_held(document)}


def available_and_held(document: dict | None) -> dict:
    """What findBalanceByUser(user, {includeReservedCredits: true}) reads: expired holds do not count."""
    if document is None:
        return {"available": 0, "held": 0}
    found = spendable(document)
    return {"available": json_number(found.available_credits), "held": json_number(found.held_credits)}


def auto_refill(document: dict | None) -> dict:
    document = document or {}
    unit = document.get("refillIntervalUnit")
    last_refill = document.get("lastRefill")
    return {
        "enabled": document.get("autoRefillEnabled") is True,
        "refillIntervalValue": json_number(document.get("refillIntervalValue")),
        "refillIntervalUnit": unit if isinstance(unit, str) else None,
        "refillAmount": json_number(document.get("refillAmount")),
        "lastRefill": last_refill if hasattr(last_refill, "isoformat") else None,
        "nextRefill": next_refill_at(document),
    }


def policy_name(user_id: ObjectId) -> str | None:
    """The name of the credit policy the user belongs to, or None."""
    policy = policies_of([user_id]).get(user_id)
    return policy.name if policy else None


def balance_page(
    *,
    below: int | None,
    limit: int,
    cursor: str | None,
    tenants: frozenset[str] | None = None,
    policy: str | None = None,
) -> dict:
    """One page of users with a balance, in balance-document `_id` order; with `policy`, only its users
    (NO_POLICY: the users no policy reaches).

    Paging on `_id` (not on the balance) keeps pages stable while balances change. Later
    duplicates of a user's document are skipped, so a page may hold fewer than `limit` users;
    the last page is the one whose `nextCursor` is null. With `tenants`, only those tenants'
    users: their balances carry the tenant, and each user's own tenant is checked too.
    """
    database = librechat_db()
    match: dict = users_filter(tenants)
    if cursor:
        match["_id"] = {"$gt": _decode_cursor(cursor)}
    if below is not None:
        match["tokenCredits"] = {"$lt": below}
    if policy is not None:
        members_filter = users_filter_named(policy)
        if members_filter is None:
            message = f"No active policy is named {policy!r}; {NO_POLICY!r} lists the users no policy reaches."
            raise ApiError(400, "unknown_policy", message)
        # MongoDB finds the policy's users (only their ids come back); pages then stay full and in order.
        match["user"] = {"$in": user_ids_matching(members_filter)}
    documents = list(database.balances.find(match, _PROJECTION).sort("_id", 1).limit(limit))
    user_ids = list({document["user"] for document in documents if "user" in document})
    earliest = {user_id: document["_id"] for user_id, document in earliest_balances(user_ids).items()}
    found = database.users.find({"_id": {"$in": user_ids}, **users_filter(tenants)}, {"email": 1})
    emails = {user["_id"]: user.get("email") for user in found}
    policies = policies_of(user_ids) if user_ids else {}
    users = []
    for document in documents:
        user_id = document.get("user")
        if user_id is None or earliest.get(user_id) != document["_id"]:
            continue
        if tenants is not None and user_id not in emails:
            continue
        balance = json_number(document.get("tokenCredits", 0))
        users.append(
            {
                "userId": str(user_id),
                "email": emails.get(user_id),
                "balance": balance,
                "usd": None if balance is None else str(usd_from_credits(balance)),
                "autoRefill": auto_refill(document),
                **available_and_held(document),
                "policy": policies[user_id].name if policies.get(user_id) else None,
            }
        )
    next_cursor = _encode_cursor(documents[-1]["_id"]) if len(documents) == limit else None
    return {"users": users, "nextCursor": next_cursor}


def json_number(value: object) -> int | float | None:
    """A JSON-safe number from a LibreChat field, or None for anything else (NaN, strings, booleans).

    What the ledger changes as a number (Decimal128 included: librechat.documents.credits_number)
    is answered as one, so an applied change is never reported as an invalid balance.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = credits_number(value)
    if number is None:
        return None
    return int(number) if number.is_integer() else number


def _encode_cursor(document_id: ObjectId) -> str:
    return base64.urlsafe_b64encode(document_id.binary).decode().rstrip("=")


def _decode_cursor(cursor: str) -> ObjectId:
    try:
        return ObjectId(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, InvalidId, TypeError, ValueError):
        raise ApiError(400, "invalid_cursor", "This cursor was not given by this API.") from None
