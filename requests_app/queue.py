"""The request queue as the home page sums it up: how many wait, and since when."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min

from requests_app.models import CreditRequest


@dataclass(frozen=True)
class PendingRequests:
    count: int
    oldest_at: datetime | None


def pending_requests() -> PendingRequests:
    """Every pending request (duplicates too, as the queue filtered to pending lists them), on the status index."""
    found = CreditRequest.objects.filter(status=CreditRequest.Status.PENDING).aggregate(
        count=Count("id"), oldest_at=Min("created_at")
    )
    return PendingRequests(found["count"], found["oldest_at"])
