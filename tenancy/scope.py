"""Tenant scopes: which LibreChat users a staff account or an API key may read and change.

A scope is a frozenset of tenant ids, or None for every tenant (and for users without one).
Lists filter LibreChat's indexed `tenantId`; single users and credit targets are checked by id.
"""

from collections.abc import Iterable

from bson import ObjectId

from librechat.mongo import librechat_db

TENANTS_HELP = "Comma-separated LibreChat tenant ids (the users' tenantId). Empty: every tenant."


def parse_tenants(text: str | None) -> frozenset[str] | None:
    """The tenant ids of a comma-separated list; None when it names none (every tenant)."""
    tenants = frozenset(part.strip() for part in (text or "").split(",") if part.strip())
    return tenants or None


def allowed_tenants(user) -> frozenset[str] | None:
    """The tenants a staff account may see, or None for all; superusers are never limited.

    A superuser could edit the scopes anyway (their admin is for superusers), so limiting one would only
    look safe.
    """
    if user.is_superuser:
        return None
    from tenancy.models import StaffTenantScope

    scope = StaffTenantScope.objects.filter(user_id=user.pk).first()
    return None if scope is None else scope.tenant_set


def users_filter(tenants: frozenset[str] | None) -> dict:
    """A MongoDB filter on `users` (and on tenant-stamped `balances`) for the scope; {} for every tenant."""
    return {} if tenants is None else {"tenantId": {"$in": sorted(tenants)}}


def in_scope(user_ids: Iterable[ObjectId], tenants: frozenset[str] | None) -> set[ObjectId]:
    """The ids among `user_ids` of users within the scope (one query; none without a scope limit)."""
    user_ids = set(user_ids)
    if tenants is None or not user_ids:
        return user_ids
    found = librechat_db().users.find({"_id": {"$in": list(user_ids)}, **users_filter(tenants)}, {"_id": 1})
    return {user["_id"] for user in found}


def outside_scope(user_ids: Iterable[ObjectId], tenants: frozenset[str] | None) -> set[ObjectId]:
    """The ids among `user_ids` that the scope may not touch (other tenants, no tenant, unknown users)."""
    user_ids = set(user_ids)
    return user_ids - in_scope(user_ids, tenants)
