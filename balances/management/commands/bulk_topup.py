from collections.abc import Callable, Iterable
from pathlib import Path

from django.core.exceptions import ValidationError

from balances.bulk import credit_rows_from_csv, targets_below, targets_from_emails_file, targets_with_role
from balances.cli import (
    LibreChatCommand,
    add_wait_argument,
    bad_input,
    chosen_batch_id,
    confirm_on_terminal,
    credits_threshold,
    os_actor,
    progress_printer,
    report_batch,
    run_batch_waiting,
)
from balances.credit_import import describe_import_alike, recent_imports_alike
from balances.credit_rows import credit_batch_id
from ledger import batch_ids
from ledger.changes import Kind, LedgerError, Target, clean_amount, open_batch, planned_delta
from ledger.models import ChangeBatch
from librechat.credits import format_credits, format_credits_and_usd

OPERATIONS = {"add": Kind.ADD, "set": Kind.SET, "top_up_to": Kind.TOP_UP_TO}


class Command(LibreChatCommand):
    help = (
        "Change many LibreChat balances as one audited batch. Choose users with --all, --below, --role, "
        "--emails-file or --csv (email,amount[,reason]; amounts per row, --mode add|set), and the change "
        "with --add, --set or --top-up-to. Shows the plan and asks before applying unless --yes. "
        "Re-running with the same --batch-id applies only what is missing; a --csv file's batch id comes from "
        "its rows and mode (as read: case, spaces and thousands separators do not count), so the same "
        "top-up resumes and a corrected file is a new batch. "
        "Exit codes: 0 done, 1 bad input or nothing matched (nothing applied), 2 partly applied."
    )

    def add_arguments(self, parser):
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--all", action="store_true", dest="all_users", help="Every LibreChat user.")
        who.add_argument("--below", type=credits_threshold, metavar="N", help="Users whose balance is below N credits.")
        who.add_argument("--role", choices=["USER", "ADMIN"], help="Users with this role.")
        who.add_argument("--emails-file", type=Path, metavar="F", help="One email per line.")
        who.add_argument("--csv", type=Path, metavar="F", help="CSV with email,amount[,reason] per row.")
        what = parser.add_mutually_exclusive_group()
        what.add_argument("--add", metavar="N", help="Add N credits to each balance.")
        what.add_argument("--set", metavar="N", help="Set each balance to N credits.")
        what.add_argument("--top-up-to", metavar="N", dest="top_up_to", help="Raise balances below N to N.")
        parser.add_argument("--mode", choices=["add", "set"], help="With --csv: add or set each row's amount.")
        parser.add_argument("--reason", default="", help="Why, for the audit history.")
        parser.add_argument("--dry-run", action="store_true", help="Show the plan and change nothing.")
        parser.add_argument("--yes", action="store_true", help="Apply without asking.")
        parser.add_argument("--batch-size", type=int, default=None, help="Users per database round trip.")
        parser.add_argument("--batch-id", help="Resume (or name) a batch; the same id never applies twice.")
        add_wait_argument(parser)

    def handle(self, *args, **options):
        if options["batch_size"] is not None and options["batch_size"] < 1:
            raise bad_input("--batch-size must be at least 1.")
        chosen_batch_id(options["batch_id"], resumable=(batch_ids.CSV,))
        kind, amount = self.operation(options)
        select_targets = self.selection(options, kind)
        user_count, delta = planned_delta(
            kind, ((t.user_id, amount if t.amount_credits is None else t.amount_credits) for t in select_targets())
        )
        if not user_count:
            raise bad_input("No users matched.")
        self.stdout.write(
            f"Plan: {plan_wording(kind, amount)} for {user_count} users, total change "
            f"{format_credits_and_usd(delta, ' credits')}."
        )
        csv_batch_id, fingerprint = credit_batch_id(select_targets(), kind) if options["csv"] else (None, "")
        batch_id = options["batch_id"] or csv_batch_id
        if options["csv"]:
            for other in recent_imports_alike(select_targets(), kind, batch_id):
                self.stdout.write(describe_import_alike(other))
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was changed.")
            return
        if not options["yes"] and not confirm_on_terminal("Apply?"):
            raise bad_input("Not applied.")
        try:
            batch = open_batch(
                kind=kind,
                amount_credits=amount,
                source=ChangeBatch.Source.CLI,
                actor=os_actor(),
                reason=options["reason"],
                batch_id=batch_id,
                fingerprint=fingerprint,
                targets=select_targets(),
            )
        except LedgerError as exc:
            raise bad_input(str(exc)) from exc
        self.stdout.write(f"Batch {batch.batch_id} (re-run with --batch-id {batch.batch_id} to resume).")
        outcome = run_batch_waiting(
            self,
            batch,
            wait=options["wait"],
            chunk_size=options["batch_size"],
            progress=progress_printer(user_count),
            retry_failed=True,
        )
        report_batch(self, outcome)

    def operation(self, options) -> tuple[str, int | None]:
        """(kind, amount); with --csv the amount is None because every row carries its own."""
        chosen = [name for name in OPERATIONS if options[name] is not None]
        if options["csv"]:
            if chosen:
                raise bad_input("--csv carries its own amounts: use --mode add|set instead of --add/--set/--top-up-to.")
            return (Kind.SET if options["mode"] == "set" else Kind.ADD), None
        if options["mode"]:
            raise bad_input("--mode goes with --csv only.")
        if not chosen:
            raise bad_input("Say what to do: --add N, --set N or --top-up-to N.")
        kind = OPERATIONS[chosen[0]]
        try:
            return kind, clean_amount(options[chosen[0]], kind)
        except ValidationError as exc:
            raise bad_input(f"--{chosen[0].replace('_', '-')}: {exc.messages[0]}") from exc

    def selection(self, options, kind: str) -> Callable[[], Iterable[Target]]:
        """A function giving the chosen users afresh: once for the plan, once to apply, so that
        --all streams instead of holding every user in memory."""
        if options["all_users"] or options["role"]:
            return lambda: targets_with_role(options["role"])
        errors: list[str] = []
        try:
            if options["below"] is not None:
                targets = targets_below(options["below"])
            elif options["emails_file"]:
                targets, errors = targets_from_emails_file(options["emails_file"])
            else:
                rows, errors = credit_rows_from_csv(options["csv"], kind)
                targets = [row.target() for row in rows]
        except (OSError, UnicodeDecodeError) as exc:
            raise bad_input(f"Cannot read the file: {exc}") from exc
        if errors:
            for error in errors:
                self.stderr.write(error)
            raise bad_input(f"{len(errors)} problems in the input; nothing was applied.")
        return lambda: targets


def plan_wording(kind: str, amount_credits: int | None) -> str:
    """ "add 1,000,000 credits", "top up to 2,000,000 credits"; a CSV's amounts are per row."""
    if amount_credits is None:
        return ChangeBatch.Kind(kind).label
    amount = f"{format_credits(amount_credits)} credits"
    return {Kind.ADD: f"add {amount}", Kind.SET: f"set balance to {amount}", Kind.TOP_UP_TO: f"top up to {amount}"}[
        kind
    ]
