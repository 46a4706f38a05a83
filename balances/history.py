"""What the per-user admin pages show below the form: our audit rows, LibreChat's credits rows
(ours marked, so LibreChat's own auto-refills and scripts show beside them), refill-setting edits
and LibreChat's recent transactions."""

from bson import ObjectId

from ledger.history import credits_rows
from ledger.models import BalanceChange, RefillChange
from librechat.models import Transaction

RECENT_ROWS = 25


def user_history_context(user_id: ObjectId | None) -> dict:
    if user_id is None:
        return {}
    return {
        "history_user_id": str(user_id),
        "recent_transactions": list(Transaction.objects.filter(user_id=user_id).order_by("-id")[:RECENT_ROWS]),
        "balance_changes": list(
            BalanceChange.objects.filter(librechat_user_id=str(user_id)).select_related("batch")[:RECENT_ROWS]
        ),
        "credits_rows": credits_rows(user_id=user_id, limit=RECENT_ROWS)[0],
        "refill_changes": list(RefillChange.objects.filter(librechat_user_id=str(user_id))[:RECENT_ROWS]),
    }
