"""Idempotency-Key on writes: the same key and body get the first answer, the change applies once.

The ledger already applies a batch id once; deriving the batch id from the key makes a retry
reuse it. The stored answer makes the retry's reply identical to the first, also when both
requests arrive together: the second waits for the first's answer instead of running.

A key stays bound to the body it was first sent with, also when that request failed: otherwise
another body sent with the same key would resume the failed request's batch and apply it.
"""

import hashlib
import json
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from api.errors import ApiError
from api.models import ApiKey, IdempotentRequest
from ledger import batch_ids

WAIT_FOR_ANSWER_SECONDS = 10
POLL_SECONDS = 0.05
# A claim still without an answer after this long belongs to a request that died; a retry takes it over.
STALE_CLAIM = timedelta(seconds=60)


def batch_id_for(api_key: ApiKey, idempotency_key: str | None) -> str:
    """The ledger batch id: derived from (key, Idempotency-Key), or fresh for every request without one."""
    if idempotency_key is None:
        return uuid.uuid4().hex
    digest = hashlib.sha256(f"{api_key.pk}:{idempotency_key}".encode()).hexdigest()
    return f"{batch_ids.API}{digest[:60]}"


def request_sha256(operation: str, payload: dict) -> str:
    canonical = json.dumps({"operation": operation, **payload}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def answer_once(
    api_key: ApiKey, idempotency_key: str | None, fingerprint: str, run: Callable[[], dict]
) -> tuple[dict, bool]:
    """(answer, replayed): `run()`'s answer, or the stored answer of an earlier request with the same key.

    An error's answer is not replayed: a request that failed (unknown email, MongoDB down) may be
    retried with the same key and body, and the ledger still applies its change at most once.
    """
    if idempotency_key is None:
        return run(), False
    row, created = IdempotentRequest.claim(api_key, idempotency_key, fingerprint)
    if not created:
        if row.request_sha256 != fingerprint:
            raise ApiError(
                409, "idempotency_key_reused", "This Idempotency-Key was already used with a different request."
            )
        answer = _wait_for_answer(row)
        if answer is not None:
            return answer, True
        if not _take_over(row):
            raise ApiError(
                409,
                "idempotency_key_in_use",
                "A request with this Idempotency-Key is still being processed; retry shortly.",
                headers={"Retry-After": "1"},
            )
    try:
        answer = run()
    except BaseException as exc:
        status = exc.status if isinstance(exc, ApiError) else 500
        IdempotentRequest.objects.filter(pk=row.pk).update(response_status=status)
        raise
    IdempotentRequest.objects.filter(pk=row.pk).update(response_status=200, response_json=answer)
    return answer, False


def _wait_for_answer(row: IdempotentRequest) -> dict | None:
    """The stored answer once the first request stores it; None if it failed or is still running."""
    deadline = time.monotonic() + WAIT_FOR_ANSWER_SECONDS
    while True:
        found = IdempotentRequest.objects.filter(pk=row.pk).values_list("response_status", "response_json").first()
        if found is None:
            return None
        status, answer = found
        if status is not None:
            return answer if status == 200 else None
        if time.monotonic() > deadline:
            return None
        time.sleep(POLL_SECONDS)


def _take_over(row: IdempotentRequest) -> bool:
    """Claim the row of a failed request, or of one that died; exactly one concurrent retry wins."""
    now = timezone.now()
    failed = Q(response_status__isnull=False) & ~Q(response_status=200)
    died = Q(response_status=None, created_at__lt=now - STALE_CLAIM)
    return bool(IdempotentRequest.objects.filter(failed | died, pk=row.pk).update(response_status=None, created_at=now))
