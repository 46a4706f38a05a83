"""What the balance commands share: who is acting, prompts, exit codes and streamed output."""

import argparse
import csv
import json
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from ledger.actors import os_actor
from ledger.changes import (
    BatchOutcome,
    LedgerError,
    Target,
    change_one,
    check_chosen_batch_id,
    clean_amount,
    run_batch,
    targets_for_emails,
)
from ledger.models import ChangeBatch
from librechat.commands import EXIT_BAD_INPUT, LibreChatCommand
from librechat.credits import LARGEST_THRESHOLD_CREDITS, format_credits, format_credits_and_usd, parse_credits
from web.spreadsheet import escape_formula

# Exit codes, documented in each command's help and in the README (1: bad input, see librechat.commands).
EXIT_PARTIAL = 2
OUTPUT_FORMATS = ["table", "csv", "json"]
# How often --wait asks whether the batch's lease is free (a cheap UPDATE of one row).
WAIT_POLL_SECONDS = 1


def credits_threshold(text: str) -> int:
    """An argparse type for --below/--above: the strict credit parser, up to 2**53 (a filter grants nothing)."""
    try:
        return parse_credits(text, maximum_credits=LARGEST_THRESHOLD_CREDITS)
    except ValidationError as exc:
        raise argparse.ArgumentTypeError(exc.messages[0]) from exc


def bad_input(message: str) -> CommandError:
    return CommandError(message, returncode=EXIT_BAD_INPUT)


def ask_if_missing(value: str | None, prompt: str, stdin=None) -> str:
    """The value, or an answer typed at a terminal; never prompts when stdin is not a terminal."""
    stdin = stdin or sys.stdin
    if value not in (None, ""):
        return value
    if not stdin.isatty():
        raise bad_input(f"{prompt} is required (no terminal to ask on).")
    sys.stderr.write(f"{prompt}: ")
    sys.stderr.flush()
    return stdin.readline().strip()


def confirm_on_terminal(question: str, stdin=None) -> bool:
    stdin = stdin or sys.stdin
    if not stdin.isatty():
        raise bad_input("Refusing to apply without confirmation: pass --yes when not on a terminal.")
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    return stdin.readline().strip().lower() in ("y", "yes")


def one_target(email: str) -> Target:
    targets, unknown, ambiguous = targets_for_emails([email])
    if unknown:
        raise bad_input(f"No LibreChat user has the email {email!r}.")
    if ambiguous:
        raise bad_input(f"Several LibreChat users (tenants) have the email {email!r}; refusing to guess.")
    return targets[0]


class SingleChangeCommand(LibreChatCommand):
    """add_balance and set_balance: one user, through the ledger, printing before, delta and after."""

    kind: str
    amount_help: str

    def add_arguments(self, parser):
        parser.add_argument("email", nargs="?", help="The user's email.")
        parser.add_argument("amount", nargs="?", help=self.amount_help)
        parser.add_argument("--reason", default="", help="Why, for the audit history.")
        parser.add_argument(
            "--batch-id", help="Name the change; running the same command with the same id never applies twice."
        )

    def handle(self, *args, email, amount, reason, batch_id, **options):
        change_one_from_command(self, self.kind, email, amount, reason, batch_id)


def chosen_batch_id(batch_id: str | None, *, resumable: tuple[str, ...] = ()) -> None:
    """Refuse a --batch-id of the tool's own families (ledger.batch_ids) with exit code 1."""
    if batch_id is None:
        return
    try:
        check_chosen_batch_id(batch_id, resumable=resumable)
    except LedgerError as exc:
        raise bad_input(str(exc)) from exc


def change_one_from_command(
    command, kind: str, email: str | None, amount: str | None, reason: str, batch_id: str | None
) -> None:
    email = ask_if_missing(email, "Email")
    amount = ask_if_missing(amount, "Amount (credits)")
    try:
        amount_credits = clean_amount(amount, kind)
    except ValidationError as exc:
        raise bad_input(exc.messages[0]) from exc
    target = one_target(email)
    # Chosen before anything is written and printed first, so a lost reply can be retried safely.
    batch_id = batch_id or uuid.uuid4().hex
    chosen_batch_id(batch_id)
    command.stdout.write(f"Batch {batch_id} (run again with --batch-id {batch_id} to retry safely).")
    try:
        change = change_one(
            target,
            kind=kind,
            amount_credits=amount_credits,
            source=ChangeBatch.Source.CLI,
            actor=os_actor(),
            reason=reason,
            batch_id=batch_id,
        )
    except LedgerError as exc:
        raise CommandError(str(exc), returncode=EXIT_BAD_INPUT) from exc
    before = "no balance" if change.before_credits is None else format_credits(change.before_credits)
    command.stdout.write(
        f"{target.email}: before {before}, delta {format_credits(change.delta_credits)}, "
        f"after {format_credits_and_usd(change.after_credits)}"
    )


def add_wait_argument(parser) -> None:
    parser.add_argument(
        "--wait",
        action="store_true",
        help="If another process is applying the batch, wait until it finishes or its lease lapses, then finish it.",
    )


def run_batch_waiting(command, batch: ChangeBatch, *, wait: bool, **run_options) -> BatchOutcome:
    """run_batch; with `wait`, while another live process holds the batch, wait for it and run again."""
    outcome = run_batch(batch, **run_options)
    if wait and outcome.busy:
        command.stderr.write(f"Batch {batch.batch_id} is being applied by {outcome.holder}; waiting for it...")
    while wait and outcome.busy:
        time.sleep(WAIT_POLL_SECONDS)
        outcome = run_batch(batch, **run_options)
    return outcome


def report_batch(command, outcome: BatchOutcome) -> None:
    """Print what a batch did; anything not applied is listed, and the exit code is 2 (1 if nothing was)."""
    batch_id = outcome.batch.batch_id
    if outcome.busy:
        frees = f"{outcome.held_until.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC" if outcome.held_until else "soon"
        raise CommandError(
            f"Batch {batch_id} is being applied by {outcome.holder} ({users(outcome.already_applied_count)} done "
            f"so far); its lease frees at {frees} if that process stops renewing it. Run the same command "
            "with --wait to wait for it and finish the batch.",
            returncode=EXIT_PARTIAL,
        )
    total = format_credits_and_usd(outcome.delta_credits, " credits")
    command.stdout.write(
        f"Applied to {users(outcome.applied_count)}, total change {total}; "
        f"{users(outcome.already_applied_count)} already had this batch."
    )
    if outcome.complete:
        return
    for change in outcome.problems:
        state = "not applied yet" if change.status == "pending" else change.get_status_display()
        command.stderr.write(f"NOT APPLIED {change.email}: {state}: {change.error}")
    not_applied = outcome.failed_count + outcome.pending_count + outcome.review_count
    if not_applied > len(outcome.problems):
        command.stderr.write(f"NOT APPLIED ... and {not_applied - len(outcome.problems)} more users.")
    if outcome.stopped_reason:
        command.stderr.write(f"Stopped: {outcome.stopped_reason}")
    anything_applied = outcome.applied_count or outcome.already_applied_count
    raise CommandError(
        f"{users(not_applied)} not changed. Fix the cause and re-run with --batch-id {batch_id} "
        "to apply only what is missing.",
        returncode=EXIT_PARTIAL if anything_applied else EXIT_BAD_INPUT,
    )


def users(count: int) -> str:
    return f"{count} user{'' if count == 1 else 's'}"


def progress_printer(total: int, stream=None) -> Callable[[int], None] | None:
    """A progress bar on a terminal (stderr), nothing in cron or a pipe."""
    stream = stream or sys.stderr
    if not stream.isatty():
        return None
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        filled = int(30 * done / max(total, 1))
        stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total}")
        if done >= total:
            stream.write("\n")
        stream.flush()

    return advance


def write_rows(stream, rows: Iterable[dict], columns: list[str], output_format: str) -> int:
    """Stream rows as an aligned table, CSV or one JSON array; returns how many were written."""
    writers = {"table": _write_table, "csv": _write_csv, "json": _write_json}
    return writers[output_format](stream, rows, columns)


def _write_csv(stream, rows: Iterable[dict], columns: list[str]) -> int:
    writer = csv.DictWriter(stream, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow({key: escape_formula(_plain(row.get(key))) for key in columns})
        count += 1
    return count


def _write_json(stream, rows: Iterable[dict], columns: list[str]) -> int:
    # Whole lines only: a command's stdout ends every write that lacks one with a newline of its own.
    count, previous = 0, None
    stream.write("[\n")
    for row in rows:
        if previous is not None:
            stream.write(previous + ",\n")
        previous = json.dumps({key: row.get(key) for key in columns}, default=str)
        count += 1
    stream.write(("" if previous is None else previous + "\n") + "]\n")
    return count


def _write_table(stream, rows: Iterable[dict], columns: list[str]) -> int:
    # Fixed widths: a streamed table cannot measure rows it has not read yet.
    widths = {column: 32 if column in ("email", "name") else max(len(column), 12) for column in columns}
    stream.write("  ".join(column.ljust(widths[column]) for column in columns).rstrip() + "\n")
    count = 0
    for row in rows:
        stream.write("  ".join(str(_plain(row.get(c))).ljust(widths[c]) for c in columns).rstrip() + "\n")
        count += 1
    return count


def _plain(value):
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
