"""Low-balance detection: who fell below a threshold since the last check, and who rose above one again.

Only a user who spent can fall, so each check reads the `transactions` written since the last one (by
`_id`, which LibreChat indexes) and looks at those users' balances; once a day it looks at every
balance document instead (a top-up by another tool, a reservation expiring). It never scans
`transactions`. The check's cursor lags `CHECK_LAG` behind the clock: LibreChat writes a spending row
before it moves the balance, and a user caught in between is looked at again by the next check.
"""

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from bson import ObjectId
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from alerts.models import CheckState, PolicyThresholds, ThresholdState
from librechat.models import LibreChatUser
from librechat.mongo import librechat_db
from librechat.reservations import spendable
from policies.membership import policies_of

logger = logging.getLogger("alerts.decision")

CHECK_LAG = timedelta(minutes=2)
FULL_CHECK_EVERY = timedelta(days=1)
USERS_PER_READ = 1000


@dataclass(frozen=True)
class Crossing:
    """A user whose available balance fell below `threshold_credits` (the lowest one newly crossed)."""

    user_id: str
    email: str
    threshold_credits: int
    available_credits: float
    # Told at once besides ALERT_IMMEDIATE_CHANNELS: the channels of the user's policy's thresholds.
    channels: tuple[str, ...] = ()


@dataclass
class CheckResult:
    users_checked: int
    full: bool
    crossings: list[Crossing]
    rearmed: int
    invalid_balances: int


def check_low_balances(
    on_crossing: Callable[[Crossing], None], now: datetime | None = None, *, full: bool | None = None
) -> CheckResult:
    """Fire and re-arm threshold states for the users who may have crossed one.

    `on_crossing` runs in the transaction that fires the state (it queues the mails), so a crossing is
    recorded together with its messages or not at all.
    """
    now = now or timezone.now()
    thresholds = sorted(set(settings.LOW_BALANCE_THRESHOLDS), reverse=True)
    by_policy = {row.policy_id: row for row in PolicyThresholds.objects.select_related("policy")}
    state = CheckState.load()
    if full is None:
        full = state.last_full_check_at is None or now - state.last_full_check_at >= FULL_CHECK_EVERY
    database = librechat_db()
    cursor_limit = ObjectId.from_datetime(now - CHECK_LAG)
    since = ObjectId(state.last_transaction_id) if state.last_transaction_id else cursor_limit
    user_ids = _every_user_with_a_balance(database) if full else _users_who_spent(database, since)
    result = CheckResult(users_checked=0, full=full, crossings=[], rearmed=0, invalid_balances=0)
    if thresholds or by_policy:
        for chunk in _chunks(user_ids, USERS_PER_READ):
            per_user = _thresholds_of(chunk, thresholds, by_policy)
            _check_chunk(database, chunk, per_user, now, result, on_crossing)
    state.last_transaction_id = str(max(since, cursor_limit))
    state.last_check_at = now
    if full:
        state.last_full_check_at = now
    state.save()
    return result


def _users_who_spent(database, since: ObjectId) -> Iterator[ObjectId]:
    seen: set[ObjectId] = set()
    for row in database.transactions.find({"_id": {"$gt": since}}, {"user": 1}).sort("_id", 1):
        user_id = row.get("user")
        if isinstance(user_id, ObjectId) and user_id not in seen:
            seen.add(user_id)
            yield user_id


def _every_user_with_a_balance(database) -> Iterator[ObjectId]:
    seen: set[ObjectId] = set()
    for row in database.balances.find({}, {"user": 1}):
        user_id = row.get("user")
        if isinstance(user_id, ObjectId) and user_id not in seen:
            seen.add(user_id)
            yield user_id


def _thresholds_of(user_ids: list[ObjectId], default: list[int], by_policy: dict[int, PolicyThresholds]) -> dict:
    """{user id: (thresholds, channels)}: their policy's when it has its own, else LOW_BALANCE_THRESHOLDS and none."""
    if not by_policy:
        return dict.fromkeys(user_ids, (default, ()))
    policies = policies_of(user_ids)
    found = {}
    for user_id in user_ids:
        own = by_policy.get(policy.pk) if (policy := policies.get(user_id)) else None
        found[user_id] = (own.credits(), tuple(own.channel_names())) if own else (default, ())
    return found


def _check_chunk(database, user_ids, thresholds_of: dict, now, result: CheckResult, on_crossing) -> None:
    balances: dict[ObjectId, dict] = {}
    projection = {"user": 1, "tokenCredits": 1, "reservations": 1}
    for document in database.balances.find({"user": {"$in": user_ids}}, projection).sort("_id", 1):
        balances.setdefault(document["user"], document)  # the earliest document is the one LibreChat uses
    keys = [str(user_id) for user_id in balances]
    fired = set(
        ThresholdState.objects.filter(librechat_user_id__in=keys, fired=True).values_list(
            "librechat_user_id", "threshold_credits"
        )
    )
    to_change = {}
    for user_id, document in balances.items():
        result.users_checked += 1
        available = spendable(document, now).available_credits
        if available is None:
            result.invalid_balances += 1
            continue
        # Most users stay on the same side of every threshold: nothing to write, no address to read.
        thresholds = thresholds_of[user_id][0]
        stale = {threshold for key, threshold in fired if key == str(user_id)} - set(thresholds)
        if stale or any((available < threshold) != ((str(user_id), threshold) in fired) for threshold in thresholds):
            to_change[user_id] = available
    emails = dict(LibreChatUser.objects.filter(pk__in=list(to_change)).values_list("pk", "email"))
    for user_id, available in to_change.items():
        with transaction.atomic():
            key, email = str(user_id), emails.get(user_id) or ""
            thresholds, channels = thresholds_of[user_id]
            crossing = _check_user(key, email, available, thresholds, fired, now, result, channels)
            if crossing:
                result.crossings.append(crossing)
                on_crossing(crossing)
        if crossing:
            logger.info(
                "low balance",
                extra={
                    "event": "threshold_crossed",
                    "user_id": crossing.user_id,
                    "threshold": crossing.threshold_credits,
                },
            )


def _check_user(key, email, available, thresholds, fired, now, result: CheckResult, channels=()) -> Crossing | None:
    # A threshold the user no longer has (their policy's changed) is forgotten, so it never fires or lingers.
    ThresholdState.objects.filter(librechat_user_id=key).exclude(threshold_credits__in=thresholds).delete()
    newly_below = []
    for threshold in thresholds:
        if available < threshold:
            if (key, threshold) not in fired and _fire(key, email, threshold, available, now):
                newly_below.append(threshold)
        elif (key, threshold) in fired:
            result.rearmed += ThresholdState.objects.filter(
                librechat_user_id=key, threshold_credits=threshold, fired=True
            ).update(fired=False, rearmed_at=now)
    return Crossing(key, email, min(newly_below), available, channels) if newly_below else None


def _fire(user_id: str, email: str, threshold: int, available: float, now: datetime) -> bool:
    """Mark the state fired; True only for the one check (of several at once) that did."""
    fields = {"fired": True, "fired_at": now, "available_credits_when_fired": available, "email": email}
    updated = ThresholdState.objects.filter(librechat_user_id=user_id, threshold_credits=threshold, fired=False)
    if updated.update(**fields):
        return True
    try:
        with transaction.atomic():
            ThresholdState.objects.create(librechat_user_id=user_id, threshold_credits=threshold, **fields)
    except IntegrityError:
        return False  # another check fired it first, or it was already fired
    return True


def _chunks(ids: Iterable[ObjectId], size: int) -> Iterator[list[ObjectId]]:
    chunk: list[ObjectId] = []
    for user_id in ids:
        chunk.append(user_id)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
