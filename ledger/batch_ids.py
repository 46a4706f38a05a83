"""Batch ids the tool names itself, and the check on ids that people and scripts choose.

An id is claimed by the first batch that uses it, so an id of these families chosen by hand
(a posted form, --batch-id) would pre-claim, and refuse for good, the reversal, the request's
crediting, the API call or the import that owns it.
"""

from ledger.models import ChangeBatch
from ledger.runner import LedgerError

REVERSE = "reverse-"
REQUEST = "request-"
API = "api-"
CSV = "csv-"
POLICY = "policy-"
RECONCILE = "reconcile-"
RESERVED_PREFIXES = (REVERSE, REQUEST, API, CSV, POLICY, RECONCILE)


def check_chosen_batch_id(batch_id: str, *, resumable: tuple[str, ...] = ()) -> None:
    """Refuse a chosen id of the tool's own families; those in `resumable` only name an existing batch."""
    family = next((prefix for prefix in RESERVED_PREFIXES if batch_id.lower().startswith(prefix)), None)
    if family is None:
        return
    if family in resumable and ChangeBatch.objects.filter(batch_id=batch_id).exists():
        return
    raise LedgerError(
        f"Batch ids starting with {family!r} are named by the tool itself"
        f"{' (give one only to resume its batch)' if family in resumable else ''}; choose another id."
    )
