"""Who a policy reaches: each LibreChat user belongs to the first active policy (by priority) that names them.

A policy names users by role, by LibreChat group (`groups.memberIds` hold user ids, as strings
or ObjectIds, or for Entra groups the users' `idOnTheSource`), by email domain or by email. A
policy for "everyone else" takes the users no active policy names, whatever its priority.

The same membership is also a MongoDB filter on `users` (`Membership.users_filter`), so lists
filtered by policy let MongoDB find a policy's users instead of reading every user here.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from bson import ObjectId

from ledger.changes import Target
from librechat.mongo import librechat_db
from policies.models import Policy

USER_FIELDS = {"email": 1, "role": 1, "idOnTheSource": 1}
NO_POLICY = "none"  # the filter's choice for users no active policy reaches; no policy may have this name
_NOBODY = {"_id": {"$in": []}}


@dataclass(frozen=True)
class _Matcher:
    policy: Policy
    roles: frozenset[str]
    group_members: frozenset[str]
    domains: frozenset[str]
    emails: frozenset[str]

    def names(self, user: dict) -> bool:
        email = str(user.get("email") or "").lower()
        source_id = user.get("idOnTheSource")
        return (
            user.get("role") in self.roles
            or str(user["_id"]) in self.group_members
            or (source_id is not None and str(source_id) in self.group_members)
            or email.rpartition("@")[2] in self.domains
            or email in self.emails
        )

    def users_filter(self) -> dict:
        """The users `names()` is true for, as a MongoDB filter (keep the two in step)."""
        either = []
        if self.roles:
            either.append({"role": {"$in": sorted(self.roles)}})
        if self.group_members:
            members = sorted(self.group_members)
            # str(user id) == member: the member as an ObjectId, or as itself for an id stored as a string.
            object_ids = [ObjectId(member) for member in members if _object_id_text(member)]
            either.append({"_id": {"$in": [*object_ids, *members]}})
            either.append({"idOnTheSource": {"$in": members}})
        # After the last "@" (or the whole address without one) is a domain; or the whole address is
        # listed. Ignoring case, as `names()` lowercases; `[\s\S]` as `rpartition` also crosses newlines.
        domains = [re.escape(domain) for domain in sorted(self.domains) if "@" not in domain]
        emails = [re.escape(email) for email in sorted(self.emails)]
        alternatives = ([f"(?:[\\s\\S]*@)?(?:{'|'.join(domains)})"] if domains else []) + emails
        if alternatives:
            either.append({"email": {"$regex": f"^(?:{'|'.join(alternatives)})$", "$options": "i"}})
        return {"$or": either} if either else _NOBODY


class Membership:
    """The active policies, ready to tell which one a user belongs to."""

    def __init__(self, policies: Iterable[Policy] | None = None):
        ordered = sorted(
            Policy.objects.filter(active=True) if policies is None else policies, key=lambda p: (p.priority, p.pk)
        )
        members_by_group = _group_members({name for policy in ordered for name in policy.group_list})
        self.matchers = [
            _Matcher(
                policy,
                frozenset(policy.role_list),
                frozenset().union(*(members_by_group.get(name, ()) for name in policy.group_list)),
                frozenset(policy.domain_list),
                frozenset(policy.email_list),
            )
            for policy in ordered
        ]
        self.everyone_else = next((policy for policy in ordered if policy.everyone_else), None)

    def policy_of(self, user: dict) -> Policy | None:
        for matcher in self.matchers:
            if matcher.names(user):
                return matcher.policy
        return self.everyone_else

    def users_filter(self, policy: Policy | None) -> dict:
        """A MongoDB filter on `users` for exactly the users `policy_of` gives `policy` (None: no policy)."""
        named_before: list[dict] = []
        for matcher in self.matchers:
            if policy is not None and matcher.policy.pk == policy.pk:
                own = _and(matcher.users_filter(), _none_of(named_before))
                break
            named_before.append(matcher.users_filter())
        else:
            own = _NOBODY
        unnamed = _none_of([matcher.users_filter() for matcher in self.matchers])
        if self.everyone_else is None:
            return unnamed if policy is None else own
        if policy is not None and policy.pk == self.everyone_else.pk:
            return {"$or": [own, unnamed]}
        return _NOBODY if policy is None else own

    def members(self, policy: Policy, users_filter: dict | None = None) -> Iterator[Target]:
        """Targets for the users who belong to `policy`, streamed in `_id` order."""
        for user in users(users_filter):
            found = self.policy_of(user)
            if found is not None and found.pk == policy.pk:
                yield Target(user["_id"], user.get("email") or "")


def users(users_filter: dict | None = None) -> Iterator[dict]:
    # Bounded batches: 100,000 users are never all in memory.
    cursor = librechat_db().users.find(users_filter or {}, USER_FIELDS).sort("_id", 1).batch_size(2000)
    yield from cursor


def members_of(policy: Policy, users_filter: dict | None = None) -> Iterator[Target]:
    """The users `policy` reaches now, given every other active policy (it need not be active itself)."""
    active = [p for p in Policy.objects.filter(active=True) if p.pk != policy.pk]
    return Membership([*active, policy]).members(policy, users_filter)


def policies_of(user_ids: Iterable[ObjectId]) -> dict[ObjectId, Policy | None]:
    """{user id: the policy the user belongs to, or None} for a page of users."""
    membership = Membership()
    found = librechat_db().users.find({"_id": {"$in": list(user_ids)}}, USER_FIELDS)
    return {user["_id"]: membership.policy_of(user) for user in found}


def users_filter_named(name: str) -> dict | None:
    """The MongoDB filter for the users of the active policy named `name`, or of none with NO_POLICY;
    None when no active policy has that name."""
    membership = Membership()
    if name == NO_POLICY:
        return membership.users_filter(None)
    found = next((matcher.policy for matcher in membership.matchers if matcher.policy.name == name), None)
    return None if found is None else membership.users_filter(found)


def _object_id_text(text: str) -> bool:
    return ObjectId.is_valid(text) and str(ObjectId(text)) == text


def _none_of(filters: list[dict]) -> dict:
    return {"$nor": filters} if filters else {}


def _and(first: dict, second: dict) -> dict:
    return {"$and": [first, second]} if second else first


def _group_members(names: set[str]) -> dict[str, set[str]]:
    if not names:
        return {}
    members: dict[str, set[str]] = {}
    for group in librechat_db().groups.find({"name": {"$in": sorted(names)}}, {"name": 1, "memberIds": 1}):
        member_ids = group.get("memberIds")
        if isinstance(member_ids, list):
            members.setdefault(group["name"], set()).update(str(member) for member in member_ids)
    return members
