"""The rows of `list_balances`, streamed in chunks so a 100,000-user install is never all in memory."""

from collections.abc import Iterable, Iterator
from itertools import islice

from bson import ObjectId

from balances.extra_columns import USER_COLUMNS, Label, labels_for
from librechat.credits import format_credits, usd_from_credits
from librechat.documents import credits_number
from librechat.mongo import librechat_db
from librechat.queries import (
    Activity,
    documents_with_live_holds,
    earliest_balances,
    has_tenants,
    spending_by_user,
    user_ids_with_balance,
)
from librechat.reservations import spendable

COLUMNS = [
    "email",
    "name",
    "role",
    "credits",
    "usd",
    "available",
    "held",
    "last_transaction",
    "tokens_used",
    "invalid_transactions",
]
TENANT_COLUMN = "tenant"
SORTS = ["credits", "email", "last-activity"]
CHUNK = 1000


def balance_rows(
    *,
    below: int | None = None,
    above: int | None = None,
    role: str | None = None,
    no_balance: bool = False,
    tenant: str | None = None,
    sort: str = "credits",
    users_filter: dict | None = None,
) -> Iterator[dict]:
    """Rows for users with a balance document (or, with `no_balance`, for those without one);
    `users_filter` is a MongoDB filter on `users` the rows' users must also match.

    `below` and `above` compare available credits: what LibreChat admits requests against
    (`tokenCredits` less the unexpired holds of requests in flight).
    """
    if no_balance:
        ordered_ids = _users_without_balance(role, tenant)
    elif sort == "credits":
        ordered_ids = _ids_by_credits(below, above, tenant)
    elif sort == "email":
        ordered_ids = _ids_by_email(role, tenant)
    else:
        ordered_ids = _ids_by_last_activity(tenant)
    seen: set[ObjectId] = set()
    for chunk in _chunks(ordered_ids):
        # Users with duplicate balance documents come up twice when listing by credits.
        chunk = [user_id for user_id in dict.fromkeys(chunk) if user_id not in seen]
        seen.update(chunk)
        yield from _rows_for(
            chunk, below=below, above=above, role=role, no_balance=no_balance, tenant=tenant, users_filter=users_filter
        )


def columns() -> list[str]:
    """COLUMNS, then those other apps registered (balances.extra_columns: the user's policy), and the
    users' tenant when the install has tenants."""
    registered = [column.name for column in USER_COLUMNS]
    return [*COLUMNS, *registered, TENANT_COLUMN] if has_tenants() else [*COLUMNS, *registered]


def _rows_for(user_ids: list[ObjectId], *, below, above, role, no_balance, tenant, users_filter) -> Iterator[dict]:
    database = librechat_db()
    # The filter is applied to each chunk's users: MongoDB matches them, none is read to be dropped.
    wanted = {"$and": [{"_id": {"$in": user_ids}}, users_filter]} if users_filter else {"_id": {"$in": user_ids}}
    users = {u["_id"]: u for u in database.users.find(wanted, {"email": 1, "name": 1, "role": 1, "tenantId": 1})}
    user_ids = [user_id for user_id in user_ids if user_id in users]
    balances = earliest_balances(user_ids)
    activity = spending_by_user(user_ids)
    labels = labels_for(user_ids)
    for user_id in user_ids:
        user = users.get(user_id)
        if user is None or (role and user.get("role") != role):
            continue
        if tenant is not None and user.get("tenantId") != tenant:
            continue
        if no_balance != (user_id not in balances):
            continue
        stored = balances.get(user_id, {}).get("tokenCredits")
        credits = credits_number(stored)
        found = spendable(balances.get(user_id))
        if not no_balance and not _within(found.available_credits, below, above):
            continue
        spent = activity.get(user_id, Activity())
        yield {
            "email": user.get("email"),
            "name": user.get("name"),
            "role": user.get("role"),
            TENANT_COLUMN: user.get("tenantId"),
            "credits": format_credits(stored) if credits is None and stored is not None else _rounded(credits),
            "usd": None if credits is None else str(usd_from_credits(credits)),
            "available": _rounded(found.available_credits),
            "held": round(found.held_credits) if user_id in balances else None,
            "last_transaction": spent.last_transaction_at,
            "tokens_used": spent.tokens_used,
            "invalid_transactions": spent.invalid_rows,
            **{name: _text(found.get(user_id)) for name, found in labels.items()},
        }


def _text(label: Label | None) -> str | None:
    return None if label is None else label.text


def _rounded(credits: float | None) -> int | None:
    return None if credits is None else round(credits)


def _within(credits: float | None, below: int | None, above: int | None) -> bool:
    if credits is None:
        return below is None and above is None
    return (below is None or credits < below) and (above is None or credits > above)


def _candidates(below: int | None, above: int | None, tenant: str | None) -> dict:
    """A `balances` filter holding at least every document whose available credits are within the bounds.

    Holds only lower what is available, so `tokenCredits` bounds it from above; below a threshold,
    the few documents holding credits right now are candidates too (`_rows_for` decides on each).
    """
    conditions = []
    if above is not None:
        conditions.append({"tokenCredits": {"$gt": above}})
    if below is not None:
        holding = list(documents_with_live_holds())
        conditions.append({"$or": [{"tokenCredits": {"$lt": below}}, {"_id": {"$in": holding}}]})
    if tenant is not None:
        # Tenant installs stamp the tenant on balances too; `_rows_for` checks the user's own tenant.
        conditions.append({"tenantId": tenant})
    return {"$and": conditions} if conditions else {}


def _ids_by_credits(below, above, tenant) -> Iterator[ObjectId]:
    cursor = librechat_db().balances.find(_candidates(below, above, tenant), {"user": 1})
    yield from (doc["user"] for doc in cursor.sort([("tokenCredits", -1), ("_id", 1)]).batch_size(CHUNK))


def _ids_by_email(role: str | None, tenant: str | None) -> Iterator[ObjectId]:
    match = {**({"role": role} if role else {}), **({"tenantId": tenant} if tenant is not None else {})}
    cursor = librechat_db().users.find(match, {"_id": 1})
    yield from (doc["_id"] for doc in cursor.sort([("email", 1), ("_id", 1)]).batch_size(CHUNK))


def _ids_by_last_activity(tenant: str | None) -> Iterator[ObjectId]:
    # Every user's last transaction has to be known before the first row: this holds one
    # small record per active user, not the rows.
    activity = spending_by_user()
    active = sorted(activity, key=lambda user_id: activity[user_id].last_transaction_at or 0, reverse=True)
    yield from active
    yield from (user_id for user_id in _ids_by_email(None, tenant) if user_id not in activity)


def _users_without_balance(role: str | None, tenant: str | None) -> Iterator[ObjectId]:
    with_balance = user_ids_with_balance()
    yield from (user_id for user_id in _ids_by_email(role, tenant) if user_id not in with_balance)


def _chunks(ids: Iterable[ObjectId]) -> Iterator[list[ObjectId]]:
    iterator = iter(ids)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk
