"""The history over the ledger's journal: batches, per-user changes, refill edits, CSV imports,
reversal pages. A feature: its operations live in the ledger."""
