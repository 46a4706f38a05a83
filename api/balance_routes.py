"""The endpoints of LibreChat PR #11754 (get, set and add balance), plus a paged list of balances."""

from typing import Annotated

from django.http import HttpRequest, HttpResponse
from ninja import Header, Query, Router

from api.auth import ApiKeyAuth
from api.balance_reads import (
    balance_fields,
    balance_page,
    effective_balance_document,
    json_number,
    one_user,
    policy_name,
)
from api.errors import ApiError, ErrorOut
from api.idempotency import answer_once, batch_id_for, request_sha256
from api.models import ApiKey
from api.schemas import (
    AddBalanceIn,
    BalanceOut,
    ChangeIn,
    ChangeOut,
    Email,
    PolicyName,
    QueryCredits,
    SetBalanceIn,
    UserPageOut,
)
from ledger.changes import Kind, LedgerError, MongoUnavailableError, change_one
from ledger.models import ChangeBatch

router = Router(tags=["balances"])

COMMON_ERRORS = (400, 401, 403, 413, 429, 500, 503)
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Send the same key again to retry safely: the change applies once and the first answer is "
        "returned. The same key with a different body is a 409.",
    ),
]
PageSize = Annotated[int, Query(ge=1, le=1000)]
Cursor = Annotated[str | None, Query(max_length=64)]


def responses(success_schema, *error_statuses: int) -> dict:
    return {200: success_schema, **dict.fromkeys((*COMMON_ERRORS, *error_statuses), ErrorOut)}


@router.get("/get-balance", auth=ApiKeyAuth("read"), response=responses(BalanceOut, 404, 409))
def get_balance(request: HttpRequest, email: Query[Email]):
    """A user's balance. A user without a balance document has a balance of 0 and `hasBalanceRecord: false`."""
    user = one_user(email, request.auth.tenant_scope)
    fields = balance_fields(effective_balance_document(user.user_id))
    return {"email": user.email, **fields, "policy": policy_name(user.user_id)}


@router.post("/set-balance", auth=ApiKeyAuth("write"), response=responses(ChangeOut, 404, 409, 415))
def set_balance(
    request: HttpRequest, response: HttpResponse, payload: SetBalanceIn, idempotency_key: IdempotencyKey = None
):
    """Set a user's balance, with a LibreChat `credits` transaction for the difference."""
    return _change(request, response, Kind.SET, payload, idempotency_key)


@router.post("/add-balance", auth=ApiKeyAuth("write"), response=responses(ChangeOut, 404, 409, 415))
def add_balance(
    request: HttpRequest, response: HttpResponse, payload: AddBalanceIn, idempotency_key: IdempotencyKey = None
):
    """Add credits to a user's balance, as LibreChat's own add-balance script does."""
    return _change(request, response, Kind.ADD, payload, idempotency_key)


@router.get("/users", auth=ApiKeyAuth("read"), response=responses(UserPageOut))
def list_balances(
    request: HttpRequest,
    below: Query[QueryCredits | None] = None,
    limit: PageSize = 100,
    cursor: Cursor = None,
    policy: Query[PolicyName | None] = None,
):
    """Every user with a balance document, in pages; `below` keeps balances under that many credits,
    `policy` the users of that credit policy."""
    return balance_page(below=below, limit=limit, cursor=cursor, tenants=request.auth.tenant_scope, policy=policy)


def _change(request: HttpRequest, response: HttpResponse, kind: str, payload: ChangeIn, idempotency_key: str | None):
    api_key: ApiKey = request.auth
    fingerprint = request_sha256(kind, payload.model_dump())
    batch_id = batch_id_for(api_key, idempotency_key)
    answer, replayed = answer_once(
        api_key, idempotency_key, fingerprint, lambda: _apply(api_key, kind, payload, batch_id)
    )
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return answer


def _apply(api_key: ApiKey, kind: str, payload: ChangeIn, batch_id: str) -> dict:
    user = one_user(payload.email, api_key.tenant_scope)
    try:
        change = change_one(
            user,
            kind=kind,
            amount_credits=payload.amount,
            source=ChangeBatch.Source.API,
            actor=api_key.actor,
            reason=payload.reason,
            batch_id=batch_id,
        )
    except MongoUnavailableError as exc:
        # Not applied, or applied only in part: a retry with the same Idempotency-Key finishes it once.
        raise ApiError(503, "mongo_unavailable", "LibreChat's database is unreachable; retry later.") from exc
    except LedgerError as exc:
        raise ApiError(409, "change_refused", str(exc)) from exc
    if kind == Kind.ADD:
        message = f"{payload.amount} added successfully for user {user.email}"
    else:
        message = f"Balance set successfully to {payload.amount} for user {user.email}"
    answer = ChangeOut(
        message=message,
        email=user.email,
        **balance_fields(effective_balance_document(user.user_id)),
        delta=json_number(change.delta_credits) or 0,
        transactionId=change.transaction_id if change.delta_credits else None,
        batchId=batch_id,
    )
    # Stored as JSON for Idempotency-Key replays, so a replay renders byte for byte the same.
    return answer.model_dump(mode="json")
