"""Each user's policy as a column and a filter of the balances lists, the user's page and `list_balances`."""

from bson import ObjectId
from django.urls import reverse

from balances.extra_columns import Label, UserColumn
from policies.membership import NO_POLICY, policies_of, users_filter_named
from policies.models import Policy


def policy_labels(user_ids: list[ObjectId]) -> dict[ObjectId, Label]:
    """{user id: the policy's name, linking to its admin page, or "none"} for a page of users."""
    if not user_ids:
        return {}
    return {
        user_id: Label(policy.name, reverse("admin:policies_policy_change", args=[policy.pk]))
        if policy
        else Label(NO_POLICY)
        for user_id, policy in policies_of(user_ids).items()
    }


def policy_choices() -> list[tuple[str, str]]:
    return [*((policy.name, policy.name) for policy in Policy.objects.filter(active=True)), (NO_POLICY, "none")]


POLICY_COLUMN = UserColumn("policy", "policy", policy_labels, policy_choices, users_filter_named)
