"""Rows of `email,amount[,reason]` from a CSV file: one validation for the admin import and the CLI."""

import csv
from collections.abc import Iterable
from typing import TextIO

from bson import ObjectId
from django.core.exceptions import ValidationError

from ledger.changes import Target, clean_amount, targets_for_emails


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


def read_credit_csv(stream: TextIO, mode: str) -> tuple[list[Target], list[str]]:
    """(targets, errors as `line N: ...`); any error means the file must not be applied."""
    reader = csv.DictReader(stream)
    try:
        if not reader.fieldnames or not {"email", "amount"} <= {name.strip() for name in reader.fieldnames}:
            return [], ["The file needs a header with the columns email and amount (reason is optional)."]
        rows = [{key.strip(): value for key, value in row.items() if key} for row in reader]
    except csv.Error as exc:  # a field over the csv module's size limit, a stray carriage return
        return [], [f"The file is not valid CSV (line {reader.line_num}): {exc}"]
    if not rows:
        return [], ["The file has no rows."]
    user_ids = known_user_ids(row.get("email") for row in rows)
    seen: set[str] = set()
    targets, errors = [], []
    for line, row in enumerate(rows, start=2):
        email, amount, row_errors = check_credit_row(row.get("email"), row.get("amount"), mode, user_ids, seen)
        errors += [f"line {line}: {message}" for message in row_errors.values()]
        if not row_errors:
            targets.append(Target(user_ids[email], email, amount, (row.get("reason") or "").strip()))
    return targets, errors
