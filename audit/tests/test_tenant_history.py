"""The history by tenant: each change and refill edit records its user's tenant; limited staff see only theirs."""

import csv
import io

import pytest

from ledger.changes import Kind, Target, change_one
from ledger.models import BalanceChange, RefillChange
from librechat.testing import create_user
from tenancy.models import StaffTenantScope

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
HISTORY = "/admin/audit/balancechange/"
REFILLS = "/admin/audit/refillchange/"


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


def test_refill_edits_record_their_users_tenant_and_limited_staff_see_only_theirs(
    admin_client, viewer_client, django_user_model, mongo
):
    refill = {"auto_refill_enabled": "true", "refill_interval_value": "7", "refill_interval_unit": "days"}
    for email, tenant_id in (("ann@acme.example", "acme"), ("gus@globex.example", "globex")):
        balance_id = mongo.balances.find_one({"user": create_user(email, 100, tenant_id=tenant_id)})["_id"]
        response = admin_client.post(f"/admin/balances/balance/{balance_id}/change/", {**refill, "refill_amount": "5"})
        assert response.status_code == 302
    assert set(RefillChange.objects.values_list("email", "tenant_id")) == {
        ("ann@acme.example", "acme"),
        ("gus@globex.example", "globex"),
    }
    StaffTenantScope.objects.create(user=django_user_model.objects.get(username="viewer"), tenants="acme")
    assert {row.email for row in viewer_client.get(REFILLS).context["cl"].result_list} == {"ann@acme.example"}
    exported = b"".join(viewer_client.get(f"{REFILLS}export.csv").streaming_content).decode()
    assert {row["tenant"] for row in csv.DictReader(io.StringIO(exported))} == {"acme"}
