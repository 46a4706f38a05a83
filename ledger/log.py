"""One log line per balance change, for the operator's log pipeline (LOG_FORMAT=json)."""

import logging

from ledger.models import BalanceChange

logger = logging.getLogger("audit.balance_change")


def log_balance_change(change: BalanceChange) -> None:
    """Log who changed which user's balance by how much, in which batch, and the outcome.

    Called by the ledger once a change is marked applied, failed or needing review. The reason
    text is left to the audit table: it is free text and may hold anything an operator typed.
    """
    batch = change.batch
    fields = {
        "event": "balance_change",
        "status": change.status,
        "actor": batch.actor,
        "source": batch.source,
        "kind": batch.kind,
        "batch_id": batch.batch_id,
        "librechat_user_id": change.librechat_user_id,
        "email": change.email,
        "requested_credits": change.requested_credits,
        "delta_credits": change.delta_credits,
        "before_credits": change.before_credits,
        "after_credits": change.after_credits,
        "transaction_id": change.transaction_id,
    }
    level = logging.INFO if change.status == BalanceChange.Status.APPLIED else logging.WARNING
    logger.log(
        level,
        "balance change %s: %s %s by %s (batch %s)",
        change.status,
        change.email,
        change.delta_credits,
        batch.actor,
        batch.batch_id,
        extra=fields,
    )
