"""CSV top-ups from the admin: read and preview an uploaded file, then apply it as one batch.

Both steps are linear in the file: users and balances are read a chunk at a time (`$in`), the
journal is read a chunk of users at a time, and rows are inserted in bulk. They run in the worker
for large files (`balances.tasks`) and in the request for small ones.
"""

import io
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone
from pymongo.errors import PyMongoError

from balances.credit_rows import BATCH_ID_PREFIX, CreditRow, credit_batch_id, read_credit_rows
from ledger.changes import Kind, LedgerError, Status, Target, open_batch
from ledger.models import BalanceChange, ChangeBatch, ImportFile, ImportRow
from ledger.plans import chunks
from librechat.credits import format_credits
from librechat.documents import credits_number
from librechat.mongo import connection_failure_behind, describe_mongo_error
from librechat.queries import earliest_balances

ROWS_SHOWN = 100
ERRORS_SHOWN = 100
# The preview warns about another import that gave the same users the same amounts this recently.
RECENT_IMPORT_DAYS = 7


def preview_import(upload: ImportFile) -> None:
    """Read the file, check every row and store what applying it would do on `upload.preview`."""
    _set(upload, status=ImportFile.Status.READING, lines_read=0)
    try:
        _preview(upload)
    except (PyMongoError, DatabaseError) as exc:
        message = _mongo_failure(exc)
        _set(upload, status=ImportFile.Status.INVALID, preview={"errors": [message], "error_count": 1})


def _preview(upload: ImportFile) -> None:
    # Half the work is checking the rows' users, half reading their balances.
    rows, errors = read_credit_rows(
        io.StringIO(upload.text), upload.mode, progress=lambda line: _set(upload, lines_read=line // 2)
    )
    if errors:
        preview = {"errors": errors[:ERRORS_SHOWN], "error_count": len(errors)}
        _set(upload, status=ImportFile.Status.INVALID, preview=preview)
        return
    batch_id, _ = credit_batch_id(rows, upload.mode)
    applied = _applied_changes(batch_id)
    totals = Counter()
    shown = []
    for chunk in chunks(rows, settings.LEDGER_BATCH_SIZE):
        balances = earliest_balances(row.user_id for row in chunk)
        for row in chunk:
            stored = balances[row.user_id].get("tokenCredits", 0) if row.user_id in balances else None
            shown_row = _preview_row(row, stored, applied.get(str(row.user_id)), upload.mode, totals)
            if len(shown) < ROWS_SHOWN:
                shown.append(shown_row)
        _set(upload, lines_read=(upload.lines_total + chunk[-1].line) // 2)
    applied_times = [applied_at for _, applied_at in applied.values()]
    preview = {
        "rows": shown,
        "row_count": len(rows),
        "change_credits": totals["change"],
        "applied_count": totals["applied"],
        "applied_credits": totals["applied_credits"],
        "applied_first": _when(min(applied_times)) if applied_times else "",
        "applied_last": _when(max(applied_times)) if applied_times else "",
        "unreadable_count": totals["unreadable"],
        "same_elsewhere": recent_imports_alike(rows, upload.mode, batch_id),
        "recent_days": RECENT_IMPORT_DAYS,
    }
    _set(upload, status=ImportFile.Status.READY, preview=preview, batch_id=batch_id)


def apply_import(upload: ImportFile) -> ChangeBatch:
    """Open the file's batch with a pending change per row, and keep its rows; the caller runs the batch.

    Raises LedgerError when the file now reads differently from its preview (a user renamed or
    deleted since), the batch id belongs to another operation, or MongoDB is unreachable.
    """
    try:
        return _apply(upload)
    except (PyMongoError, DatabaseError) as exc:
        raise LedgerError(_mongo_failure(exc)) from exc


def _apply(upload: ImportFile) -> ChangeBatch:
    rows, errors = read_credit_rows(io.StringIO(upload.text), upload.mode)
    batch_id, fingerprint = credit_batch_id(rows, upload.mode)
    if errors or batch_id != upload.batch_id:
        raise LedgerError("The file reads differently than at its preview (users changed since): upload it again.")
    batch = open_batch(
        kind=upload.mode,
        amount_credits=None,
        source=ChangeBatch.Source.IMPORT,
        actor=upload.actor,
        reason="CSV import",
        batch_id=batch_id,
        fingerprint=fingerprint,
        targets=(row.target() for row in rows),
    )
    with transaction.atomic():
        # The record of what the file asked for, once per batch (a re-upload resumes the batch).
        if not ImportRow.objects.filter(batch_id=batch_id).exists():
            for chunk in chunks(rows, settings.LEDGER_BATCH_SIZE):
                ImportRow.objects.bulk_create(
                    ImportRow(batch_id=batch_id, email=row.email, amount_credits=row.amount_credits, reason=row.reason)
                    for row in chunk
                )
        # The rows are kept above; the file itself is not needed any more.
        _set(upload, status=ImportFile.Status.APPLIED, text="")
    return batch


def _mongo_failure(exc: Exception) -> str:
    """The message for a MongoDB failure; anything else (our own database) is raised again."""
    failure = connection_failure_behind(exc)
    if not isinstance(exc, PyMongoError) and failure is None:
        raise exc
    return describe_mongo_error(failure) if failure else f"MongoDB refused the query: {exc}"


def _preview_row(row: CreditRow, stored: object, applied: tuple | None, mode: str, totals: Counter) -> dict:
    """One row as the preview shows it; adds its change to `totals`."""
    shown = {
        "line": row.line,
        "email": row.email,
        "amount": format_credits(row.amount_credits),
        "reason": row.reason,
        "balance_now": format_credits(stored),
        "after": "",
        "applied_at": "",
    }
    if applied is not None:
        delta, applied_at = applied
        totals["applied"] += 1
        totals["applied_credits"] += delta or 0
        return {**shown, "applied_at": _when(applied_at)}
    current = credits_number(0 if stored is None else stored)
    if current is None:
        totals["unreadable"] += 1
        return shown
    after = current + row.amount_credits if mode == Kind.ADD else row.amount_credits
    totals["change"] += after - current
    return {**shown, "after": format_credits(after)}


def _applied_changes(batch_id: str) -> dict[str, tuple[float | None, datetime]]:
    """{user id: (delta, when)} of the changes this file's batch already applied (an earlier upload of it)."""
    applied = BalanceChange.objects.filter(batch__batch_id=batch_id, status=Status.APPLIED)
    rows = applied.values_list("librechat_user_id", "delta_credits", "updated_at").iterator(chunk_size=2000)
    return {user_id: (delta, updated_at) for user_id, delta, updated_at in rows}


def recent_imports_alike(rows: list[CreditRow | Target], mode: str, batch_id: str) -> list[dict]:
    """Other file imports of the last RECENT_IMPORT_DAYS that gave these users the same amounts:
    [{pk, batch_id, when, actor, rows}], most rows first (a file saved again with another reason)."""
    since = timezone.now() - timedelta(days=RECENT_IMPORT_DAYS)
    rows_by_batch = Counter()
    for chunk in chunks(rows, settings.LEDGER_BATCH_SIZE):
        rows_by_batch.update(_same_changes_elsewhere(chunk, mode, batch_id, since))
    return _describe_batches(rows_by_batch)


def describe_import_alike(other: dict) -> str:
    """One line about an import alike, for the command line."""
    return (
        f"Warning: {other['rows']} of these rows gave the same users the same amounts in the last "
        f"{RECENT_IMPORT_DAYS} days, in batch {other['batch_id']} on {other['when']} by {other['actor']}."
    )


def _same_changes_elsewhere(chunk: list, mode: str, batch_id: str, since: datetime) -> Counter:
    """{batch pk: rows of the chunk that batch already gave, same user and amount}, for recent file imports."""
    wanted = {(str(row.user_id), row.amount_credits) for row in chunk}
    from_files = Q(batch__source=ChangeBatch.Source.IMPORT) | Q(batch__batch_id__startswith=BATCH_ID_PREFIX)
    changes = (
        BalanceChange.objects.filter(from_files, librechat_user_id__in=[user_id for user_id, _ in wanted])
        .filter(status=Status.APPLIED, created_at__gte=since, batch__kind=mode)
        .exclude(batch__batch_id=batch_id)
        .values_list("batch_id", "librechat_user_id", "requested_credits")
    )
    return Counter(batch_pk for batch_pk, user_id, amount in changes if (user_id, amount) in wanted)


def _describe_batches(rows_by_batch: Counter) -> list[dict]:
    batches = ChangeBatch.objects.in_bulk(list(rows_by_batch))
    return [
        {
            "pk": pk,
            "batch_id": batches[pk].batch_id,
            "when": _when(batches[pk].created_at),
            "actor": batches[pk].actor,
            "rows": rows,
        }
        for pk, rows in rows_by_batch.most_common(5)
    ]


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


def _set(upload: ImportFile, **fields) -> None:
    """Save these fields at once, so the progress page sees them while the worker goes on."""
    for name, value in fields.items():
        setattr(upload, name, value)
    ImportFile.objects.filter(pk=upload.pk).update(**fields)


def count_lines(text: str) -> int:
    """Lines after the header, as an upper bound of the rows (for the progress and the worker threshold)."""
    lines = text.count("\n") + (not text.endswith("\n"))
    return max(lines - 1, 0)
