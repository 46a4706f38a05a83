"""What the per-user admin pages show below the form: LibreChat's transactions and our audit rows."""

from bson import ObjectId

from audit.models import BalanceChange
from balances.models import Transaction

RECENT_ROWS = 25


def user_history_context(user_id: ObjectId | None) -> dict:
    if user_id is None:
        return {}
    return {
        "recent_transactions": list(Transaction.objects.filter(user_id=user_id).order_by("-id")[:RECENT_ROWS]),
        "balance_changes": list(
            BalanceChange.objects.filter(librechat_user_id=str(user_id)).select_related("batch")[:RECENT_ROWS]
        ),
    }
