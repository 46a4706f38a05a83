"""Who a change reaches and what it would do: targets, amounts and dry-run plans."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from bson import ObjectId
from django.conf import settings

from ledger.models import ChangeBatch
from librechat.credits import parse_credits
from librechat.documents import credits_number
from librechat.mongo import librechat_db
from librechat.queries import earliest_balances, user_ids_by_email

Kind = ChangeBatch.Kind


@dataclass(frozen=True, slots=True)
class Target:
    """A user to change; `amount_credits` and `reason` override the batch's (CSV rows carry their own)."""

    user_id: ObjectId
    email: str
    amount_credits: int | None = None
    reason: str = ""


def clean_amount(value: object, kind: str) -> int:
    """An amount of credits for a change of this kind: above 0 for adds and top-ups, 0 or more for sets."""
    return parse_credits(value, minimum_credits=0 if kind == Kind.SET else 1)


def planned_delta(kind: str, amounts_by_user: Iterable[tuple[ObjectId, int]]) -> tuple[int, float]:
    """(users, total change) a batch would make right now, for a confirmation page or a dry-run plan."""
    users, total = 0, 0.0
    for chunk in chunks(amounts_by_user, settings.LEDGER_BATCH_SIZE):
        users += len(chunk)
        balances = {} if kind == Kind.ADD else earliest_balances(user_id for user_id, _ in chunk)
        for user_id, amount in chunk:
            current = credits_number(balances.get(user_id, {}).get("tokenCredits", 0))
            if current is None:
                continue
            if kind == Kind.ADD:
                total += amount
            elif kind == Kind.SET:
                total += amount - current
            else:
                total += max(0, amount - current)
    return users, total


@dataclass(frozen=True, slots=True)
class PlannedChange:
    email: str
    before_credits: object  # as stored: None without a balance document, maybe not a number
    after_credits: float | None


def planned_changes(kind: str, amount_credits: int, targets: list[Target]) -> list[PlannedChange]:
    """Before and after for a few targets, read now, for a confirmation page to name who changes how."""
    balances = earliest_balances(target.user_id for target in targets)
    planned = []
    for target in targets:
        stored = balances[target.user_id].get("tokenCredits", 0) if target.user_id in balances else None
        current = credits_number(0 if stored is None else stored)
        after = None if current is None else _after(kind, current, amount_credits)
        planned.append(PlannedChange(target.email, stored, after))
    return planned


def _after(kind: str, current: float, amount_credits: int) -> float:
    if kind == Kind.ADD:
        return current + amount_credits
    if kind == Kind.SET:
        return amount_credits
    return max(current, amount_credits)


def targets_for_emails(emails: Iterable[str]) -> tuple[list[Target], list[str], list[str]]:
    """(targets, unknown emails, ambiguous emails); emails match case-insensitively as LibreChat stores them."""
    wanted = {email.strip().lower() for email in emails if email.strip()}
    found = user_ids_by_email(wanted)
    targets = [Target(ids[0], email) for email, ids in sorted(found.items()) if len(ids) == 1]
    ambiguous = sorted(email for email, ids in found.items() if len(ids) > 1)
    return targets, sorted(wanted - found.keys()), ambiguous


def targets_for_user_ids(user_ids: Iterable[ObjectId]) -> Iterator[Target]:
    """Targets for existing users, one query per chunk; ids of deleted users are dropped."""
    for chunk in chunks(user_ids, settings.LEDGER_BATCH_SIZE):
        users = librechat_db().users.find({"_id": {"$in": chunk}}, {"email": 1}).batch_size(len(chunk))
        yield from (Target(user["_id"], user.get("email") or "") for user in users)


def chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
