"""Usage analytics as JSON, with the paths and parameters of the analytics dashboard they replace.

Thin: parse the period, refresh stale rollups within the page budget, return a report from
`analytics.reports`. A read-scope API key is required, as for balances; a key limited to some
tenants gets its tenants' usage only.
"""

from dataclasses import replace
from typing import Annotated

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from analytics import reports
from analytics.periods import Period, parse_period
from analytics.rollup import refresh_if_stale
from api.auth import ApiKeyAuth
from api.errors import ApiError, ErrorOut

router = Router(tags=["usage analytics"], auth=ApiKeyAuth("read"))
ERRORS = dict.fromkeys((400, 401, 403, 429, 500, 503), ErrorOut)
ONE_OBJECT = {200: dict, **ERRORS}
ROWS = {200: list[dict], **ERRORS}
PeriodName = Annotated[str, Query(max_length=20, description="24h, 7d, 30d, 90d or custom (with start and end)")]
Moment = Annotated[str | None, Query(max_length=40, description="ISO 8601 date or date-time, UTC unless offset")]


def reported_period(
    request: HttpRequest, response: HttpResponse, period: str, start: str | None, end: str | None
) -> Period:
    """The period asked for, within the key's tenants, after refreshing stale rollups; headers say how
    current the numbers are."""
    try:
        parsed = replace(parse_period(period, start, end), within_tenants=request.auth.tenant_scope)
    except ValidationError as exc:
        raise ApiError(400, "bad_request", " ".join(exc.messages)) from exc
    freshness = refresh_if_stale()
    covered_until = freshness.state.covered_until
    response["X-Usage-Covered-Until"] = covered_until.isoformat() if covered_until else ""
    if freshness.error or freshness.catching_up:
        response["X-Usage-Stale"] = freshness.error or "Still catching up on older usage: numbers may be incomplete."
    return parsed


@router.get("/summary", response=ONE_OBJECT)
def summary(
    request: HttpRequest, response: HttpResponse, period: PeriodName = "7d", start: Moment = None, end: Moment = None
):
    """Cost, tokens, active users, conversations, requests and credits granted (grants never count as spend)."""
    return reports.summary(reported_period(request, response, period, start, end))


@router.get("/top-users", response=ROWS)
def top_users(
    request: HttpRequest,
    response: HttpResponse,
    period: PeriodName = "7d",
    start: Moment = None,
    end: Moment = None,
    limit: Annotated[str | None, Query(max_length=10, description="1 to 100, default 10")] = None,
):
    """Users by cost, with their balance and the days until it runs out at their average daily spend."""
    try:
        top = reports.parse_limit(limit)
    except ValidationError as exc:
        raise ApiError(400, "bad_request", " ".join(exc.messages)) from exc
    return reports.top_users(reported_period(request, response, period, start, end), top)


@router.get("/top-models", response=ROWS)
def top_models(
    request: HttpRequest, response: HttpResponse, period: PeriodName = "7d", start: Moment = None, end: Moment = None
):
    """Prompt and completion tokens and cost per model; agents count under their underlying model."""
    return reports.top_models(reported_period(request, response, period, start, end))


@router.get("/top-agents", response=ROWS)
def top_agents(
    request: HttpRequest, response: HttpResponse, period: PeriodName = "7d", start: Moment = None, end: Moment = None
):
    """Agents with their underlying model, users, requests and cost."""
    return reports.top_agents(reported_period(request, response, period, start, end))


@router.get("/cost-breakdown", response=ONE_OBJECT)
def cost_breakdown(
    request: HttpRequest, response: HttpResponse, period: PeriodName = "7d", start: Moment = None, end: Moment = None
):
    """Cost by token type, by direct use or agents, and by model."""
    return reports.cost_breakdown(reported_period(request, response, period, start, end))


@router.get("/usage-over-time", response=ONE_OBJECT)
def usage_over_time(
    request: HttpRequest, response: HttpResponse, period: PeriodName = "7d", start: Moment = None, end: Moment = None
):
    """Cost, tokens, requests and active users per hour (24h and short custom ranges) or per day."""
    return reports.usage_over_time(reported_period(request, response, period, start, end))
