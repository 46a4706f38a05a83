"""Doing a job exactly once per key, across workers and crashes."""

import logging
from collections.abc import Callable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from alerts.models import ScheduledRun

logger = logging.getLogger("alerts.decision")


def once(job: str, key: str, do: Callable[[], object], at: datetime | None = None) -> bool:
    """Run `do` unless this (job, key) was done; its writes and the claim commit together. True if it ran here."""
    if ScheduledRun.objects.filter(job=job, key=key).exists():
        return False
    try:
        with transaction.atomic():
            run = ScheduledRun.objects.create(job=job, key=key, started_at=at or timezone.now())
            run.summary = str(do())[:1000]
            run.save(update_fields=["summary"])
    except IntegrityError:
        return False  # another worker claimed it
    logger.info("job done", extra={"event": "job_done", "job": job, "key": key, "summary": run.summary})
    return True
