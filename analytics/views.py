"""The usage analytics pages in the admin: Overview, Users, Models and Agents."""

from dataclasses import replace

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from analytics import reports, tables
from analytics.periods import PERIOD_CHOICES, Period, parse_period
from analytics.rollup import refresh_if_stale
from librechat.credits import format_dollars
from librechat.mongo import librechat_db
from librechat.queries import has_tenants
from tenancy.admin_lists import scope_of, tenant_scoped

PAGES = [("overview", "Overview"), ("users", "Users"), ("models", "Models"), ("agents", "Agents")]
DEFAULT_USERS_LIMIT = 25


@tenant_scoped
def overview(request):
    def build(period: Period, query) -> dict:
        summary = reports.summary(period)
        over_time = reports.usage_over_time(period)
        summary_table = tables.summary_table(summary)
        return {
            "cards": tables.summary_cells(summary_table),
            "breakdown": {
                source: format_dollars(cost) for source, cost in reports.cost_breakdown(period)["bySource"].items()
            },
            "chart_points": over_time["points"],
            "tables": [tables.timeseries_table(over_time["points"], period.bucket), summary_table],
        }

    return _page(request, "overview", build)


@tenant_scoped
def users(request):
    def build(period: Period, query) -> dict:
        limit = reports.parse_limit(query.get("limit"), default=DEFAULT_USERS_LIMIT)
        return {"tables": [tables.users_table(reports.top_users(period, limit))], "limit": limit}

    return _page(request, "users", build)


@tenant_scoped
def models(request):
    return _page(request, "models", lambda period, query: {"tables": [tables.models_table(reports.top_models(period))]})


@tenant_scoped
def agents(request):
    return _page(request, "agents", lambda period, query: {"tables": [tables.agents_table(reports.top_agents(period))]})


def _tenant_choices(scope: frozenset[str] | None) -> list[str]:
    if scope is not None:
        return sorted(scope)
    # A distinct over LibreChat's tenantId index, only in installs with tenants (one probe).
    tenants = librechat_db().users.distinct("tenantId") if has_tenants() else []
    return sorted(tenant for tenant in tenants if isinstance(tenant, str))


def _page(request, page: str, build) -> HttpResponse:
    if not request.user.has_perm("analytics.view_analytics"):
        raise PermissionDenied
    status, error = 200, ""
    freshness = refresh_if_stale()
    query = request.GET
    tenant, scope = query.get("tenant", "")[:100] or None, scope_of(request)
    try:
        period = parse_period(query.get("period"), query.get("start"), query.get("end"))
        period = replace(period, tenant=tenant, within_tenants=scope)
        content = build(period, query)
    except ValidationError as exc:
        # Bad parameters: say so and show the default period rather than a guess.
        status, error = 400, " ".join(exc.messages)
        period = replace(parse_period(None), tenant=tenant, within_tenants=scope)
        content = build(period, {})
    export = request.GET.get("export")
    if export and not error:
        table = next((t for t in content["tables"] if t.name == export), None)
        if table is not None:
            return table.csv_response(f"usage-{page}-{period.start:%Y%m%d}-{period.end:%Y%m%d}")
        status, error = 400, f"There is no table {export[:40]!r} to export on this page."
    context = {
        **admin.site.each_context(request),
        "title": f"Usage analytics: {dict(PAGES)[page]}",
        "page": page,
        "pages": [(name, label, reverse(f"analytics:{name}")) for name, label in PAGES],
        "period": period,
        "period_choices": PERIOD_CHOICES,
        "form": {key: request.GET.get(key, "") for key in ("period", "start", "end", "limit")},
        "tenants": _tenant_choices(scope),
        "error": error,
        "freshness": freshness,
        "now": timezone.now(),
        **content,
    }
    templates = [f"analytics/{page}.html", "analytics/base.html"]
    return TemplateResponse(request, templates, context, status=status)
