"""The history by tenant: each change records its user's tenant; staff limited to a tenant see only its changes."""

import csv
import io

import pytest

from ledger.changes import Kind, Target, change_one
from ledger.models import BalanceChange
from librechat.testing import create_user
from tenancy.models import StaffTenantScope

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
HISTORY = "/admin/audit/balancechange/"


def change(email: str, tenant_id: str | None) -> BalanceChange:
    user_id = create_user(email, 100, tenant_id=tenant_id)
    return change_one(Target(user_id, email), kind=Kind.ADD, amount_credits=5, source="cli", actor="ops", reason="r")


@pytest.fixture
def changes(mongo):
    return {
        "ann": change("ann@acme.example", "acme"),
        "gus": change("gus@globex.example", "globex"),
        "lone": change("lone@example.com", None),
    }


def listed(response) -> list[str]:
    assert response.status_code == 200
    return sorted(row.email for row in response.context["cl"].result_list)


def test_each_change_records_its_users_tenant(changes):
    assert [changes[name].tenant_id for name in ("ann", "gus", "lone")] == ["acme", "globex", ""]


def test_the_history_shows_and_filters_by_tenant(admin_client, changes):
    response = admin_client.get(HISTORY)
    assert "tenant" in response.context["cl"].list_display
    assert listed(admin_client.get(HISTORY, {"tenant": "globex"})) == ["gus@globex.example"]


def test_a_limited_staff_account_sees_only_its_tenants_changes(viewer_client, django_user_model, changes):
    StaffTenantScope.objects.create(user=django_user_model.objects.get(username="viewer"), tenants="acme")
    response = viewer_client.get(HISTORY)
    assert listed(response) == ["ann@acme.example"]
    assert viewer_client.get(f"{HISTORY}{changes['gus'].pk}/change/").status_code == 302
    exported = b"".join(viewer_client.get(f"{HISTORY}export.csv").streaming_content).decode()
    assert "ann@acme.example" in exported and "gus@globex.example" not in exported
    assert "lone@example.com" not in exported


def test_the_history_export_names_each_changes_tenant(admin_client, changes):
    exported = b"".join(admin_client.get(f"{HISTORY}export.csv").streaming_content).decode()
    rows = {row["email"]: row["tenant"] for row in csv.DictReader(io.StringIO(exported))}
    assert rows == {"ann@acme.example": "acme", "gus@globex.example": "globex", "lone@example.com": ""}
