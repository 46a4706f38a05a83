"""Read-side MongoDB queries shared by the admin, the ledger and the commands.

Each takes a chunk of ids and answers in one round trip, so callers stay constant per page
or per batch whatever the install's size.
"""

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from itertools import islice

from bson import ObjectId
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from librechat.documents import credits_number
from librechat.models import LibreChatUser
from librechat.mongo import librechat_db

SPENDING_TOKEN_TYPES = ["prompt", "completion"]
DUPLICATES_CACHE_SECONDS = 60


def earliest_balances(user_ids: Iterable[ObjectId], fields: Iterable[str] = ()) -> dict[ObjectId, dict]:
    """{user id: the balance document LibreChat uses}; older installs hold duplicates and the earliest counts.

    Documents hold `user`, `tokenCredits` and the other `fields` asked for.
    """
    balances: dict[ObjectId, dict] = {}
    user_ids = list(user_ids)
    projection = {"user": 1, "tokenCredits": 1, "reservations": 1, **dict.fromkeys(fields, 1)}
    cursor = librechat_db().balances.find({"user": {"$in": user_ids}}, projection)
    # One batch for the whole answer instead of the driver's default first batch of 101.
    for document in cursor.sort("_id", 1).batch_size(len(user_ids) + 100):
        balances.setdefault(document["user"], document)
    return balances


def documents_with_live_holds(now: datetime | None = None) -> dict[ObjectId, dict]:
    """{balance id: document} of the balances holding credits for in-flight requests right now.

    Few at any moment (one per request in flight), so filters and totals over available credits
    correct the plain `tokenCredits` query with these instead of computing holds for every document.
    """
    live = {"reservations": {"$elemMatch": {"expiresAt": {"$gt": now or timezone.now()}}}}
    found = librechat_db().balances.find(live, {"user": 1, "tokenCredits": 1, "reservations": 1})
    return {document["_id"]: document for document in found}


def has_tenants() -> bool:
    """Whether any user belongs to a tenant: one probe on LibreChat's tenantId index.

    Most installs have no tenants; callers skip tenant columns, filters and lookups when False.
    """
    return librechat_db().users.find_one({"tenantId": {"$type": "string"}}, {"_id": 1}) is not None


def tenant_ids(user_ids: Iterable[ObjectId]) -> dict[ObjectId, object]:
    """{user id: tenantId} of the users that belong to a tenant (multi-tenant installs only)."""
    # Without tenants, the probe replaces an `$in` over the whole chunk of users.
    if not has_tenants():
        return {}
    users = librechat_db().users
    found = users.find({"_id": {"$in": list(user_ids)}, "tenantId": {"$type": "string"}}, {"tenantId": 1})
    return {user["_id"]: user["tenantId"] for user in found}


def duplicate_balance_ids() -> list[ObjectId]:
    """Ids of the balance documents LibreChat ignores: every one of a user's documents but the earliest.

    Older installs hold duplicates; filters and plans must judge each user by the earliest only.
    Finding them groups the whole collection, so the answer is kept for a minute per worker,
    keyed by the collection's document count: a duplicate only appears with a new document,
    and documents only go with deleted users, so a changed count means a fresh answer.
    """
    balances = librechat_db().balances
    cache_key = f"duplicate-balance-ids:{balances.estimated_document_count()}"
    return cache.get_or_set(cache_key, lambda: _group_duplicate_balance_ids(balances), DUPLICATES_CACHE_SECONDS)


def _group_duplicate_balance_ids(balances) -> list[ObjectId]:
    pipeline = [
        {"$group": {"_id": "$user", "ids": {"$push": "$_id"}, "count": {"$sum": 1}}},
        {"$match": {"count": {"$gt": 1}}},
    ]
    return [balance_id for row in balances.aggregate(pipeline) for balance_id in sorted(row["ids"])[1:]]


def user_ids_with_balance() -> set[ObjectId]:
    """Every user that has at least one balance document (one `distinct` on the `user` index)."""
    return set(librechat_db().balances.distinct("user"))


def user_ids_by_email(emails: Iterable[str]) -> dict[str, list[ObjectId]]:
    """{email, lowercased: ids of the users who have it, ignoring case}; emails nobody has are left out.

    The one email lookup of every entry point (API, admin, commands, requests): several ids mean
    several users (tenants) have the email, which callers refuse to guess between.
    """
    wanted = sorted({email.strip().lower() for email in emails if email.strip()})
    found: dict[str, list[ObjectId]] = {}
    users = librechat_db().users
    # LibreChat stores emails lowercase: one find on the email index answers almost every email.
    for chunk in _chunks(wanted, 1000):
        for user in users.find({"email": {"$in": chunk}}, {"email": 1}).batch_size(len(chunk) + 1):
            found.setdefault(user["email"], []).append(user["_id"])
    # Older installs (and users created by hand) hold some mixed-case emails: looked up ignoring
    # case, only for the emails still missing.
    # Each address is an escaped, anchored pattern: the ORM's `iexact` passes "(" or "*" through to
    # MongoDB as regular-expression syntax, and a typed address is anything a person (or a script) sends.
    for chunk in _chunks([email for email in wanted if email not in found], 100):
        any_case = [{"email": {"$regex": f"^{re.escape(email)}$", "$options": "i"}} for email in chunk]
        for user in users.find({"$or": any_case}, {"email": 1}):
            if isinstance(user.get("email"), str):
                found.setdefault(user["email"].lower(), []).append(user["_id"])
    return found


def _chunks(items: list, size: int) -> Iterable[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def search_user_ids(term: str) -> list[ObjectId]:
    """Ids of users whose name, username or email contains `term`, ignoring case."""
    found = LibreChatUser.objects.filter(
        Q(email__icontains=term) | Q(name__icontains=term) | Q(username__icontains=term)
    )
    return list(found.values_list("id", flat=True))


@dataclass
class Activity:
    last_transaction_at: datetime | None = None
    tokens_used: int = 0
    spent_credits: float = 0.0
    invalid_rows: int = 0  # transactions whose rawAmount or tokenValue is not a number: skipped


def is_finite_number(expression: str) -> dict:
    """An aggregation test: a number that is not NaN or Infinity (strings, booleans, missing: False).

    Odd rows must be skipped inside MongoDB: `$abs` of a string fails the whole aggregation, and
    one NaN makes every sum it reaches NaN. NaN orders below every number, so `> -Infinity` excludes it.
    """
    return {"$and": [{"$isNumber": expression}, {"$gt": [expression, -math.inf]}, {"$lt": [expression, math.inf]}]}


def valid_abs_sum(expression: str, only_if: dict | bool = True) -> dict:
    """`$sum` of the absolute values that are finite numbers (where `only_if` holds); anything else adds 0."""
    return {"$sum": {"$cond": [{"$and": [only_if, is_finite_number(expression)]}, {"$abs": expression}, 0]}}


VALID_AMOUNTS = {"$and": [is_finite_number("$rawAmount"), is_finite_number("$tokenValue")]}


def spending_by_user(user_ids: Iterable[ObjectId] | None = None, since: datetime | None = None) -> dict:
    """{user id: Activity}: last transaction, tokens and credits spent (spending rows are negative)."""
    match: dict = {}
    if user_ids is not None:
        match["user"] = {"$in": list(user_ids)}
    if since is not None:
        # transactions have no createdAt index; the _id index orders rows by creation time.
        match["_id"] = {"$gte": ObjectId.from_datetime(since)}
    is_spending = {"$in": ["$tokenType", SPENDING_TOKEN_TYPES]}
    pipeline = [
        {"$match": match},
        {
            "$group": {
                "_id": "$user",
                "last": {"$max": "$createdAt"},
                "tokens": valid_abs_sum("$rawAmount", is_spending),
                "spent": valid_abs_sum("$tokenValue", is_spending),
                "invalid": {"$sum": {"$cond": [VALID_AMOUNTS, 0, 1]}},
            }
        },
    ]
    return {
        row["_id"]: Activity(
            row["last"] if isinstance(row["last"], datetime) else None,
            round(credits_number(row["tokens"]) or 0),
            credits_number(row["spent"]) or 0.0,
            row["invalid"],
        )
        for row in librechat_db().transactions.aggregate(pipeline, allowDiskUse=True)
    }


def user_ids_matching(users_filter: dict) -> list[ObjectId]:
    """Ids of the users a MongoDB filter matches: MongoDB does the matching, only the ids come back."""
    cursor = librechat_db().users.find(users_filter, {"_id": 1}).batch_size(10_000)
    return [user["_id"] for user in cursor]
