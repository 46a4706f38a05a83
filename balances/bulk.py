"""Choosing the users of a bulk change from the command line."""

from collections.abc import Iterator
from pathlib import Path

from balances.credit_rows import CreditRow, read_credit_rows
from ledger.changes import Target, targets_for_emails, targets_for_user_ids
from librechat.documents import credits_number
from librechat.mongo import librechat_db
from librechat.queries import earliest_balances


def targets_below(threshold_credits: int) -> list[Target]:
    """Users whose balance (their earliest balance document) is below the threshold."""
    candidates = librechat_db().balances.distinct("user", {"tokenCredits": {"$lt": threshold_credits}})
    balances = earliest_balances(candidates)
    below = [
        user_id
        for user_id in candidates
        if (credits := credits_number(balances.get(user_id, {}).get("tokenCredits"))) is not None
        and credits < threshold_credits
    ]
    return list(targets_for_user_ids(below))


def targets_with_role(role: str | None) -> Iterator[Target]:
    """Every user, or every user with `role`, in `_id` order, streamed: 100,000 users are never all in memory."""
    # Bounded batches: the driver would otherwise decode up to 16 MB of users at once.
    users = librechat_db().users.find({"role": role} if role else {}, {"email": 1})
    yield from (Target(user["_id"], user.get("email") or "") for user in users.sort("_id", 1).batch_size(2000))


def targets_from_emails_file(path: Path) -> tuple[list[Target], list[str]]:
    """(targets, errors) from one email per line; blank lines and # comments are skipped."""
    lines = [line.strip() for line in path.read_text(encoding="utf-8-sig").splitlines()]
    emails = [line for line in lines if line and not line.startswith("#")]
    if not emails:
        return [], [f"{path} lists no emails."]
    targets, unknown, ambiguous = targets_for_emails(emails)
    errors = [f"unknown email: {email}" for email in unknown]
    errors += [f"several users (tenants) have the email: {email}" for email in ambiguous]
    return targets, errors


def credit_rows_from_csv(path: Path, mode: str) -> tuple[list[CreditRow], list[str]]:
    """(rows, errors) of a CSV file of `email,amount[,reason]`."""
    with path.open(newline="", encoding="utf-8-sig") as stream:
        return read_credit_rows(stream, mode)
