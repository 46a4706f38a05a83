from django.core.management.base import BaseCommand

from balances.cli import change_one_from_command
from balances.ledger import Kind


class Command(BaseCommand):
    help = (
        "Add credits to one LibreChat user, as LibreChat's add-balance script does, plus an audit row. "
        "Prompts for missing arguments on a terminal. Exit codes: 0 done, 1 bad input or unknown email, "
        "2 the change could not be applied."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", nargs="?", help="The user's email.")
        parser.add_argument("amount", nargs="?", help="Credits to add (1,000,000 = $1.00).")
        parser.add_argument("--reason", default="", help="Why, for the audit history.")

    def handle(self, *args, email, amount, reason, **options):
        change_one_from_command(self, Kind.ADD, email, amount, reason)
