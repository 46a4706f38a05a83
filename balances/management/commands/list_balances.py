from balances.cli import OUTPUT_FORMATS, bad_input, credits_threshold, write_rows
from balances.extra_columns import USER_COLUMNS
from balances.listing import SORTS, balance_rows, columns
from librechat.commands import LibreChatCommand


class Command(LibreChatCommand):
    help = (
        "List LibreChat balances: email, name, role, credits, USD, available and held credits, last "
        "transaction, tokens used and policy (and tenant, in installs with tenants). "
        "Streams, so large installs do not load every user at once. --sort credits lists the highest "
        "balance first, last-activity the most recent first. Exit codes: 0 rows listed, 1 bad input or "
        "nothing matched."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--below",
            type=credits_threshold,
            help="Only users with fewer available credits than this: tokenCredits less the unexpired holds "
            "of requests in flight, what LibreChat admits requests against.",
        )
        parser.add_argument("--above", type=credits_threshold, help="Only users with more available credits than this.")
        parser.add_argument("--role", choices=["USER", "ADMIN"], help="Only users with this role.")
        parser.add_argument("--no-balance", action="store_true", help="Only users without a balance document.")
        parser.add_argument("--tenant", help="Only users of this LibreChat tenant (their tenantId).")
        parser.add_argument("--format", choices=OUTPUT_FORMATS, default="table", dest="output_format")
        parser.add_argument("--sort", choices=SORTS, default="credits")
        for column in USER_COLUMNS:
            parser.add_argument(
                f"--{column.name}",
                metavar="NAME",
                help=f'Only users whose {column.title} is NAME ("none": users without one).',
            )

    def handle(self, *args, below, above, role, no_balance, tenant, output_format, sort, **options):
        if no_balance and (below is not None or above is not None):
            raise bad_input("--no-balance lists users without a balance; it cannot be combined with --below/--above.")
        if below is not None and above is not None and above >= below:
            raise bad_input("--above must be lower than --below.")
        rows = balance_rows(
            below=below,
            above=above,
            role=role,
            no_balance=no_balance,
            tenant=tenant,
            sort=sort,
            users_filter=_users_filter(options),
        )
        if write_rows(self.stdout, rows, columns(), output_format) == 0:
            raise bad_input("No users matched.")


def _users_filter(options: dict) -> dict | None:
    """The MongoDB filter on users for the registered columns' options given (--policy), or None."""
    filters = []
    for column in USER_COLUMNS:
        value = options.get(column.name)
        if value is None:
            continue
        found = column.users_filter(value)
        if found is None:
            known = ", ".join(name for name, _ in column.choices())
            raise bad_input(f"No active {column.title} named {value!r}. Choose one of: {known}.")
        filters.append(found)
    return {"$and": filters} if filters else None
