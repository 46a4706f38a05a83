"""Every credit change goes through here.

The protocol, for one change (one user in one batch):

1. **Claim.** `open_batch` stores the batch (its id chosen by the caller: a form token,
   `--batch-id`, an Idempotency-Key, a file's content) and one pending audit row per user, unique
   per batch and user, each with a pre-allocated id for LibreChat's `credits` transaction row.
   Reusing a batch id for another operation is refused.
2. **Apply.** `run_batch` takes the batch's lease (one runner at a time; a second submit gets
   `busy` and shows progress) and applies pending rows in chunks:
   - an add records before/after on the row, inserts the `credits` row with its pre-allocated
     `_id` (a second insert is a harmless duplicate), then `$inc`s the user's earliest balance
     document with a filter that excludes documents already marked with the change's id, and
     `$push`es `{id, delta}` onto the document's `balanceManagerChanges` (the last 50 kept), all
     in one single-document atomic update;
   - a set records the value it compares against and the difference on the row, then
     compare-and-sets `tokenCredits` with the same marker guard and push, then inserts the
     `credits` row for the difference (negative when lowering).
   Both never read-modify-write a balance outside one atomic update, and never overwrite
   LibreChat's own fields (`reservations`, `reservedCredits`, refill settings).
3. **Finish.** The row is marked applied only while still pending, so two runners never
   overwrite each other's record.

Any step may be interrupted (kill -9, MongoDB gone, a worker timeout): running the batch again
repeats the steps, and each is a no-op when already done, because "was it applied?" is read from
the balance document's marker, atomically written with the change itself, on a standalone
MongoDB without transactions. A set resumed after its balance write takes the difference from
the marker. Rows end applied, or failed with nothing written for them (a balance that is not a
number, a document that refused the write). A batch stops after a few MongoDB errors in a row;
what it did not reach stays pending for the next run (the worker, or the same command again).
`needs review` rows exist only from before the marker; `resolve_review_changes` settles them.
"""

from audit.models import BalanceChange, ChangeBatch
from balances.ledger.plans import (
    PlannedChange,
    Target,
    clean_amount,
    planned_changes,
    planned_delta,
    targets_for_emails,
    targets_for_user_ids,
)
from balances.ledger.runner import (
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
    "open_batch",
    "planned_changes",
    "planned_delta",
    "run_batch",
    "targets_for_emails",
    "targets_for_user_ids",
]
