from balances.cli import SingleChangeCommand
from ledger.changes import Kind


class Command(SingleChangeCommand):
    help = (
        "Add credits to one LibreChat user, as LibreChat's add-balance script does, plus an audit row. "
        "Prompts for missing arguments on a terminal. Exit codes: 0 done, 1 bad input, unknown email "
        "or not applied (say --batch-id to retry the same change safely)."
    )
    kind = Kind.ADD
    amount_help = "Credits to add (1,000,000 = $1.00)."
