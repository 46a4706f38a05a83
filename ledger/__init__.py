"""The ledger: the only writer of credits, and its journal. Every credit change goes through here.

Its public functions are in `ledger.changes`; the journal's tables in `ledger.models`.

The protocol, for one change (one user in one batch):

1. **Claim.** `open_batch` stores the batch (its id chosen by the caller: a form token,
   `--batch-id`, an Idempotency-Key, a file's content) and one pending audit row per user, unique
   per batch and user, each with a pre-allocated id for LibreChat's `credits` transaction row.
   Reusing a batch id for another operation is refused.
2. **Apply.** `run_batch` takes the batch's lease (one runner at a time; a second submit gets
   `busy`, the holder's host and process id and when its lease lapses; a runner on the holder's
   host takes over at once when that process is gone) and applies pending rows in chunks:
   - an add records before/after on the row, inserts the `credits` row with its pre-allocated
     `_id` (a second insert is a harmless duplicate), then `$inc`s the user's earliest balance
     document with a filter that excludes documents already marked with the change's id, and
     `$push`es `{id, delta}` onto the document's `balanceManagerChanges` (the last 50 kept), all
     in one single-document atomic update;
   - a set records the value it compares against and the difference on the row, then
     compare-and-sets `tokenCredits` with the same marker guard and push, then inserts the
     `credits` row for the difference (negative when lowering).
   - a subtract down to 0 (the reversal of credits LibreChat has partly spent) is a set whose
     target is `max(0, current - amount)`, with the same compare-and-set, marker and row;
   - a record-only change (a correction of LibreChat's history, `reconcile_balances --fix`)
     records the current balance as both before and after and inserts the `credits` row with its
     pre-allocated `_id` (a second insert is a harmless duplicate); the balance is not touched.
   A user without a balance document gets one first, as LibreChat creates it: an upsert of
   `{_id: <user id>}` with `$setOnInsert` (never combined with the marker guard), so racing
   creators converge on one document. Every document and `credits` row written for a user carries
   the user's `tenantId`, read from `users` when written.
   All of them never read-modify-write a balance outside one atomic update, and never overwrite
   LibreChat's own fields (`reservations`, `reservedCredits`, `pendingRefill`, refill settings, `tenantId`).
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
