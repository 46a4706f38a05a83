"""Large batches run in the worker (`manage.py ledger_worker`), not in a web request."""

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from ledger.changes import run_batch
from ledger.models import BalanceChange, ChangeBatch
from ledger.runner import lease_holder_is_gone

# A batch stopped because MongoDB went away tries again after this long, until it finishes.
RETRY_AFTER = timedelta(seconds=60)


@task()
def run_batch_in_background(batch_pk: int) -> None:
    batch = ChangeBatch.objects.get(pk=batch_pk)
    outcome = run_batch(batch)
    if outcome.mongo_unavailable:
        run_batch_in_background.using(run_after=timezone.now() + RETRY_AFTER).enqueue(batch_pk)


def queue_batch(batch: ChangeBatch) -> None:
    """Hand the batch to the worker; the batch page shows its progress."""
    ChangeBatch.objects.filter(pk=batch.pk).update(in_background=True)
    batch.in_background = True
    run_batch_in_background.enqueue(batch.pk)


def resume_interrupted_batches() -> int:
    """Queue every batch with pending changes that no live runner holds; returns how many."""
    pending = BalanceChange.objects.filter(status=BalanceChange.Status.PENDING).values("batch")
    batches = [
        batch
        for batch in ChangeBatch.objects.filter(pk__in=pending)
        if not batch.is_running or lease_holder_is_gone(batch.lease_owner)
    ]
    for batch in batches:
        queue_batch(batch)
    return len(batches)
