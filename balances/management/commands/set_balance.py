from django.core.management.base import BaseCommand

from balances.cli import change_one_from_command
from balances.ledger import Kind


class Command(BaseCommand):
    help = (
        "Set one LibreChat user's balance: a compare-and-set on the live value plus a credits transaction "
        "for the difference (LibreChat's own set-balance writes none). Prompts for missing arguments on a "
        "terminal. Exit codes: 0 done, 1 bad input or unknown email, 2 the change could not be applied."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", nargs="?", help="The user's email.")
        parser.add_argument("amount", nargs="?", help="The new balance in credits (1,000,000 = $1.00).")
        parser.add_argument("--reason", default="", help="Why, for the audit history.")

    def handle(self, *args, email, amount, reason, **options):
        change_one_from_command(self, Kind.SET, email, amount, reason)
