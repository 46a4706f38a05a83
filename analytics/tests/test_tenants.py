"""Usage analytics by tenant: the rollups keep each user's tenant, the pages filter on it."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.models import UsageRollup
from analytics.testing import conversation, spend
from librechat.testing import create_user
from tenancy.models import StaffTenantScope

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


@pytest.fixture
def usage(mongo):
    when = timezone.now() - timedelta(hours=2)
    for email, tenant_id, tokens in (("ann@acme.example", "acme", 100_000), ("gus@globex.example", "globex", 400_000)):
        user_id = create_user(email, 1_000_000, tenant_id=tenant_id)
        conversation(user_id, when, f"c-{tenant_id}")
        spend(user_id, when, tokens=tokens, rate=1.0, conversation_id=f"c-{tenant_id}")


def test_the_rollups_keep_each_users_tenant(viewer_client, usage):
    viewer_client.get(reverse("analytics:overview"))
    assert sorted(UsageRollup.objects.values_list("tenant_id", flat=True)) == ["acme", "globex"]


def test_the_users_page_and_overview_filter_by_tenant(viewer_client, usage):
    users = viewer_client.get(reverse("analytics:users"), {"period": "24h", "tenant": "globex"})
    assert users.status_code == 200
    body = users.content.decode()
    assert "gus@globex.example" in body and "ann@acme.example" not in body
    assert 'name="tenant"' in body and '<option value="globex" selected>' in body
    overview = viewer_client.get(reverse("analytics:overview"), {"period": "24h", "tenant": "acme"})
    assert overview.status_code == 200
    assert "$0.10" in overview.content.decode()  # acme's 100,000 credits, not globex's 400,000
    everyone = viewer_client.get(reverse("analytics:overview"), {"period": "24h"})
    assert "$0.50" in everyone.content.decode()


def test_the_users_page_shows_each_users_tenant(viewer_client, usage):
    users = viewer_client.get(reverse("analytics:users"), {"period": "24h"})
    assert users.status_code == 200
    table = users.context["tables"][0]
    assert "tenant" in [column.key for column in table.columns]
    assert {row["email"]: row["tenant"] for row in table.rows} == {
        "ann@acme.example": "acme",
        "gus@globex.example": "globex",
    }


def test_installs_without_tenants_show_no_tenant_choice(viewer_client, mongo):
    create_user("plain@example.com", 1_000)
    assert 'name="tenant"' not in viewer_client.get(reverse("analytics:overview")).content.decode()


def test_a_limited_staff_account_sees_only_its_tenants_usage(viewer_client, django_user_model, usage):
    StaffTenantScope.objects.create(user=django_user_model.objects.get(username="viewer"), tenants="acme")
    for query in ({"period": "24h"}, {"period": "24h", "tenant": "globex"}):
        body = viewer_client.get(reverse("analytics:users"), query).content.decode()
        assert "gus@globex.example" not in body
    body = viewer_client.get(reverse("analytics:users"), {"period": "24h"}).content.decode()
    assert "ann@acme.example" in body and '<option value="globex"' not in body
