"""Tenant column, filter and scope for the admin lists of LibreChat's users and balances.

Both collections carry LibreChat's indexed `tenantId` in tenant installs, so a tenant is a filter
on the listed collection itself, never a list of user ids. Installs without tenants (one probe)
show neither the column nor the filter.
"""

from functools import wraps

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from pymongo.errors import PyMongoError

from librechat.mongo import librechat_db
from librechat.queries import has_tenants
from tenancy.scope import allowed_tenants
from web.admin_lists import CheckedFilter

TENANT_COLUMN = "tenant"


def tenants_known(request) -> bool:
    """has_tenants(), asked once per request (lists ask for the column, the filter and the actions).

    Lists of our own tables (history, requests) keep working while MongoDB is unreachable: without
    an answer they show no tenant column or filter; a limited account's scope still applies.
    """
    if not hasattr(request, "_has_tenants"):
        try:
            request._has_tenants = has_tenants()
        except PyMongoError:
            request._has_tenants = False
    return request._has_tenants


def scope_of(request) -> frozenset[str] | None:
    """allowed_tenants() of the request's staff account, read once per request."""
    if not hasattr(request, "_tenant_scope"):
        request._tenant_scope = allowed_tenants(request.user)
    return request._tenant_scope


def is_limited(request) -> bool:
    return scope_of(request) is not None


def every_tenant_only(view):
    """A view over the whole install (totals, batches, queues): refused to a staff account limited to some tenants."""

    @wraps(view)
    def checked(request, *args, **kwargs):
        if is_limited(request):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return checked


def tenant_scoped(view):
    """Mark a view that narrows what it shows to the staff account's tenants itself (scope_of)."""
    view.tenant_scoped = True
    return view


class TenantFilter(CheckedFilter):
    """The user's (or the balance document's) `tenantId`; a limited staff account sees its own tenants only."""

    title = "tenant"
    parameter_name = "tenant"

    def lookups(self, request, model_admin):
        scope = scope_of(request)
        # A distinct over LibreChat's tenantId index: an install has a few tenants, not millions.
        tenants = scope if scope is not None else librechat_db().users.distinct("tenantId")
        return [(tenant, tenant) for tenant in sorted(t for t in tenants if isinstance(t, str))]

    def has_output(self):
        return bool(self.lookup_choices)

    def filter(self, request, queryset, value: str):
        return queryset.filter(tenant_id=value)


class TenantScopedAdminMixin:
    """Lists and pages of a model with `tenant_id` (LibreChat users, balances): limited staff see their tenants only.

    A row of another tenant is missing from the list and its page answers as for an unknown id.
    Every other admin page is refused to limited staff (balancemgr.admin_site): pages are scoped by choice.
    """

    tenant_scoped = True

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        scope = scope_of(request)
        return queryset if scope is None else queryset.filter(tenant_id__in=sorted(scope))

    def get_list_display(self, request):
        shown = list(super().get_list_display(request))
        return [*shown, TENANT_COLUMN] if tenants_known(request) else shown

    def get_list_filter(self, request):
        shown = list(super().get_list_filter(request))
        return [*shown, TenantFilter] if tenants_known(request) else shown

    @admin.display(description="tenant")
    def tenant(self, row) -> str:
        return row.tenant_id or ""
