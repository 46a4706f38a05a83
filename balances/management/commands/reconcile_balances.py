import uuid
from datetime import date

from django.core.management.base import CommandError

from balances.cli import (
    EXIT_BAD_INPUT,
    OUTPUT_FORMATS,
    LibreChatCommand,
    bad_input,
    confirm_on_terminal,
    one_target,
    os_actor,
    progress_printer,
    report_batch,
    users,
    write_rows,
)
from ledger.changes import Kind, LedgerError, open_batch, run_batch
from ledger.models import ChangeBatch
from ledger.reconcile import COLUMNS, DEFAULT_START_BALANCE_CREDITS, find_drift, users_to_check
from web.spreadsheet import escape_formula

EXIT_DRIFT_FOUND = 3


class Command(LibreChatCommand):
    help = (
        "Compare each user's balance (the earliest balance document) with the sum of their LibreChat "
        "transactions and list the users where they differ by a credit or more (drift = balance - history), "
        "each with the LibreChat cause that explains it when one does (a start balance at sign-up, charges "
        "stopped at 0, an auto-refill whose transaction is pending). With --fix --reason, write the missing "
        "history of the unexplained drifts (all with --include-explained) as one LibreChat credits row per "
        "user through the ledger, as one audited batch, without changing any balance. Without --fix nothing "
        "is written. "
        "Exit codes: 0 no drift (or all fixed), 1 bad input or nothing to check, 2 fix partly applied "
        "(re-run with --batch-id), 3 drift found (report only)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", help="Check only this user.")
        parser.add_argument(
            "--since", type=str, help="Only users with a LibreChat transaction on or after this day (YYYY-MM-DD)."
        )
        parser.add_argument("--format", choices=OUTPUT_FORMATS, default="table", dest="output_format")
        parser.add_argument("--fix", action="store_true", help="Write correcting credits rows (needs --reason).")
        parser.add_argument("--reason", default="", help="Why, for the audit history (required with --fix).")
        parser.add_argument("--yes", action="store_true", help="Fix without asking.")
        parser.add_argument("--batch-id", help="Name the fix; the same id again resumes it instead of writing twice.")
        parser.add_argument(
            "--start-balance",
            type=int,
            default=DEFAULT_START_BALANCE_CREDITS,
            help="librechat.yaml's balance.startBalance, given without a transaction at sign-up (default 20000).",
        )
        parser.add_argument(
            "--include-explained",
            action="store_true",
            help="With --fix, also write history for drift a known LibreChat cause explains.",
        )

    def handle(
        self,
        *args,
        email,
        since,
        output_format,
        fix,
        reason,
        yes,
        batch_id,
        start_balance,
        include_explained,
        **options,
    ):
        if fix and not reason.strip():
            raise bad_input("--fix needs --reason: the correction is recorded in the audit history.")
        user_id = one_target(email).user_id if email else None
        checked = users_to_check(user_id=user_id, since=_day(since))
        drifts = list(find_drift(checked, start_balance_credits=start_balance))
        rows = (drift.as_row() for drift in drifts)
        if output_format == "csv":
            rows = ({key: escape_formula(value) for key, value in row.items()} for row in rows)
        write_rows(self.stdout, rows, COLUMNS, output_format)
        explained = [drift for drift in drifts if drift.explanation]
        fixable = [
            drift
            for drift in drifts
            if not drift.problem and drift.correction_credits and (include_explained or not drift.explanation)
        ]
        self.stderr.write(
            f"{users(len(drifts))} with drift, {len(explained)} of them explained by LibreChat's own changes; "
            f"{users(len(fixable))} to fix (total {sum(drift.correction_credits for drift in fixable):,} credits "
            "of missing history)."
        )
        if not drifts:
            return
        if not fix:
            raise CommandError("Drift found; nothing was changed (dry run).", returncode=EXIT_DRIFT_FOUND)
        if not fixable:
            raise bad_input(
                "Nothing to fix: the listed drifts are explained by LibreChat's own changes "
                "(--include-explained writes them too) or their balances or histories are not numbers."
            )
        if not yes and not confirm_on_terminal(f"Write correcting credits rows for {users(len(fixable))}?"):
            raise bad_input("Not fixed.")
        batch_id = batch_id or f"reconcile-{uuid.uuid4().hex}"
        self.stdout.write(f"Batch {batch_id} (run again with --batch-id {batch_id} to resume safely).")
        try:
            batch = open_batch(
                kind=Kind.RECORD,
                amount_credits=None,
                source=ChangeBatch.Source.CLI,
                actor=os_actor(),
                reason=reason,
                batch_id=batch_id,
                targets=[drift.target() for drift in fixable],
            )
        except LedgerError as exc:
            raise CommandError(str(exc), returncode=EXIT_BAD_INPUT) from exc
        report_batch(self, run_batch(batch, progress=progress_printer(len(fixable))))


def _day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise bad_input(f"--since {value!r} is not a date (YYYY-MM-DD).") from exc
    # ObjectIds hold seconds since 1970 in 32 bits.
    if not date(1970, 1, 1) <= day <= date(2106, 1, 1):
        raise bad_input("--since must lie between 1970-01-01 and 2106-01-01.")
    return day
