"""Policies for tests, switched on in the past so their current period is due."""

from datetime import UTC, datetime

from policies.models import Policy

LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)


def make_policy(name: str = "Students", **fields) -> Policy:
    fields = {
        "action": Policy.Action.TOP_UP_TO,
        "amount_credits": 5_000_000,
        "roles": "USER",
        "frequency": Policy.Frequency.MONTHLY,
        **fields,
    }
    policy = Policy.objects.create(name=name, **fields)
    Policy.objects.filter(pk=policy.pk).update(created_at=LONG_AGO, active_since=LONG_AGO)
    policy.refresh_from_db()
    return policy
