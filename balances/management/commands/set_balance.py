from balances.cli import SingleChangeCommand
from ledger.changes import Kind


class Command(SingleChangeCommand):
    help = (
        "Set one LibreChat user's balance: a compare-and-set on the live value plus a credits transaction "
        "for the difference (LibreChat's own set-balance writes none). Prompts for missing arguments on a "
        "terminal. Exit codes: 0 done, "
        "1 bad input, unknown email or not applied (say --batch-id to retry the same change safely)."
    )
    kind = Kind.SET
    amount_help = "The new balance in credits (1,000,000 = $1.00)."
