"""The two staff roles, kept in step with the code by a post_migrate hook.

viewer: sees balances, users, transactions, credit requests, the outbox, the audit history and usage
analytics, and exports.
operator: a viewer who also tops up and sets balances, edits refill settings, imports CSV files,
decides credit requests, resends mail and edits credit policies.
Setting the balance of every user matching a filter is for superusers only (balances.admin_actions).
"""

from django.contrib.auth.models import Group, Permission

VIEWER_PERMISSIONS = [
    "balances.view_librechatuser",
    "balances.view_balance",
    "balances.view_transaction",
    "audit.view_changebatch",
    "audit.view_balancechange",
    "audit.view_importrow",
    "requests_app.view_creditrequest",
    "outbox.view_message",
    "audit.view_refillchange",
    "analytics.view_analytics",
    "policies.view_policy",
]
OPERATOR_PERMISSIONS = [
    *VIEWER_PERMISSIONS,
    "balances.change_credits",
    "balances.change_balance",
    "audit.add_importrow",
    # Approve, reject, resend and retry credit requests.
    "requests_app.change_creditrequest",
    # Credit policies grant credits on a schedule: editing one is changing balances.
    "policies.add_policy",
    "policies.change_policy",
    "policies.delete_policy",
    "outbox.change_message",
]
GROUPS = {"viewer": VIEWER_PERMISSIONS, "operator": OPERATOR_PERMISSIONS}


def ensure_staff_groups(**kwargs) -> None:
    for name, dotted_names in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = [_permission(dotted) for dotted in dotted_names]
        group.permissions.set([permission for permission in wanted if permission])


def _permission(dotted: str) -> Permission | None:
    app_label, codename = dotted.split(".")
    return Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
