"""CSV top-ups too large for a web request, read and applied in the worker (`manage.py ledger_worker`)."""

from django_tasks import task

from balances.credit_import import apply_import, preview_import
from ledger.changes import LedgerError
from ledger.models import ImportFile
from ledger.tasks import queue_batch


@task()
def preview_import_in_background(upload_pk: int) -> None:
    preview_import(ImportFile.objects.get(pk=upload_pk))


@task()
def apply_import_in_background(upload_pk: int) -> None:
    upload = ImportFile.objects.get(pk=upload_pk)
    try:
        batch = apply_import(upload)
    except LedgerError as exc:
        upload.preview = {**upload.preview, "apply_error": str(exc)}
        upload.status = ImportFile.Status.READY
        upload.save(update_fields=["preview", "status"])
        return
    queue_batch(batch)
