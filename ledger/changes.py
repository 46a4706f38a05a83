"""What callers use to change credits (the protocol is described in the package's docstring)."""

from ledger.models import BalanceChange, ChangeBatch
from ledger.plans import (
    PlannedChange,
    Target,
    clean_amount,
    left_below_holds,
    planned_changes,
    planned_delta,
    targets_for_emails,
    targets_for_user_ids,
)
from ledger.runner import (
    BatchOutcome,
    LedgerError,
    MongoUnavailableError,
    add_targets,
    change_one,
    open_batch,
    run_batch,
)

Kind = ChangeBatch.Kind
Status = BalanceChange.Status

__all__ = [
    "BatchOutcome",
    "Kind",
    "LedgerError",
    "MongoUnavailableError",
    "PlannedChange",
    "Status",
    "Target",
    "add_targets",
    "change_one",
    "clean_amount",
    "left_below_holds",
    "open_batch",
    "planned_changes",
    "planned_delta",
    "run_batch",
    "targets_for_emails",
    "targets_for_user_ids",
]
