"""Rows of `email,amount[,reason]` from a CSV file: one reading, validation and batch id for the admin and the CLI."""

import csv
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TextIO

from bson import ObjectId
from django.conf import settings
from django.core.exceptions import ValidationError

from ledger.changes import Target, clean_amount, targets_for_emails
from ledger.plans import chunks

COLUMNS_READ = ("email", "amount", "reason")
# The ledger keeps the `csv-` family of batch ids for files (another source cannot take one by chance).
BATCH_ID_PREFIX = "csv-"


@dataclass(frozen=True, slots=True)
class CreditRow:
    """One valid line of the file, normalised: what it asks for, whatever the spreadsheet's spelling."""

    line: int
    user_id: ObjectId
    email: str
    amount_credits: int
    reason: str

    def target(self) -> Target:
        return Target(self.user_id, self.email, self.amount_credits, self.reason)


def check_credit_row(
    email: str, amount: object, mode: str, user_ids_by_email: dict[str, ObjectId], seen_emails: set[str]
) -> tuple[str, int | None, dict[str, str]]:
    """(normalised email, amount or None, {column: error}) for one row; `seen_emails` collects emails."""
    email = (email or "").strip().lower()
    errors = {}
    if email not in user_ids_by_email:
        errors["email"] = f"No single LibreChat user has the email {email!r}."
    elif email in seen_emails:
        errors["email"] = f"{email} appears more than once in the file."
    seen_emails.add(email)
    amount_credits = None
    try:
        amount_credits = clean_amount("" if amount is None else amount, mode)
    except ValidationError as exc:
        errors["amount"] = exc.messages[0]
    return email, amount_credits, errors


def known_user_ids(emails: Iterable[str]) -> dict[str, ObjectId]:
    """{email: user id} for emails that name exactly one LibreChat user."""
    targets, _, _ = targets_for_emails(str(email or "") for email in emails)
    return {target.email: target.user_id for target in targets}


def read_credit_rows(
    stream: TextIO, mode: str, progress: Callable[[int], None] | None = None
) -> tuple[list[CreditRow], list[str]]:
    """(rows, errors as `line N: ...`); any error means the file must not be applied.

    Users are looked up a chunk of emails at a time (`progress` gets the last line checked after
    each), so 100,000 rows cost a few hundred queries.
    """
    # Spaces after a comma are a spreadsheet's spelling, not part of a (quoted) cell.
    reader = csv.reader(stream, skipinitialspace=True)
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        if not {"email", "amount"} <= set(header):
            return [], ["The file needs a header with the columns email and amount (reason is optional)."]
        wanted = {name: header.index(name) for name in COLUMNS_READ if name in header}
        # The file's own line numbers (blank lines skipped, a quoted cell may span lines).
        records = [
            (reader.line_num, [_cell(record, wanted.get(name)) for name in COLUMNS_READ])
            for record in reader
            if any(record)
        ]
    except csv.Error as exc:  # a field over the csv module's size limit, a stray carriage return
        return [], [f"The file is not valid CSV (line {reader.line_num}): {exc}"]
    if not records:
        return [], ["The file has no rows."]
    seen: set[str] = set()
    rows, errors = [], []
    for chunk in chunks(records, settings.LEDGER_BATCH_SIZE):
        user_ids = known_user_ids(email for _, (email, _, _) in chunk)
        for line, (raw_email, raw_amount, reason) in chunk:
            email, amount, row_errors = check_credit_row(raw_email, raw_amount, mode, user_ids, seen)
            if "\x00" in reason:
                row_errors["reason"] = "The reason contains a NUL character."
            errors += [f"line {line}: {message}" for message in row_errors.values()]
            if not row_errors:
                rows.append(CreditRow(line, user_ids[email], email, amount, reason))
        if progress:
            progress(chunk[-1][0])
    return rows, errors


def _cell(record: list[str], index: int | None) -> str:
    return record[index].strip() if index is not None and index < len(record) else ""


def read_credit_csv(stream: TextIO, mode: str) -> tuple[list[Target], list[str]]:
    """(targets, errors) of a file, for the command line."""
    rows, errors = read_credit_rows(stream, mode)
    return [row.target() for row in rows], errors


def credit_batch_id(rows: Iterable[CreditRow | Target], mode: str) -> tuple[str, str]:
    """(batch id, fingerprint) of a file's normalised rows and mode.

    The same top-up saved again with other spelling (thousands separators, case, spaces, an empty
    reason column, another row order) is the same batch and resumes; a changed row is another.
    """
    canonical = sorted((row.email, row.amount_credits, row.reason) for row in rows)
    fingerprint = hashlib.sha256(json.dumps([mode, canonical]).encode()).hexdigest()
    return f"{BATCH_ID_PREFIX}{fingerprint[:40]}", fingerprint
