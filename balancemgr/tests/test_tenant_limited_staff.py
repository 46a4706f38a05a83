"""Staff limited to some tenants reach only the pages that scope their rows by tenant.

Every other admin page spans the whole install (batches, imports, policies, keys), so the admin
site refuses it to them: a new page is refused until it scopes its rows.
"""

import pytest
from django.contrib.auth.models import Group

from librechat.testing import create_user
from tenancy.models import StaffTenantScope

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])

WHOLE_INSTALL_PAGES = [
    "/admin/audit/changebatch/",
    "/admin/audit/importrow/",
    "/admin/audit/importrow/import/",
    "/admin/audit/balancechange/librechat-credits/",
    "/admin/policies/policy/",
    "/admin/api/apikey/",
    "/admin/tenancy/stafftenantscope/",
]
SCOPED_PAGES = [
    "/admin/balances/balance/",
    "/admin/balances/librechatuser/",
    "/admin/balances/transaction/",
    "/admin/audit/balancechange/",
    "/admin/audit/refillchange/",
    "/admin/requests_app/creditrequest/",
    "/admin/analytics/",
    "/admin/analytics/users/",
]


@pytest.fixture
def limited_client(client, django_user_model, mongo):
    create_user("ann@acme.example", 1_000, tenant_id="acme")
    person = django_user_model.objects.create_user("olga", password="pw", is_staff=True)
    person.groups.add(*Group.objects.all())  # every permission a group grants
    StaffTenantScope.objects.create(user=person, tenants="acme")
    client.force_login(person)
    return client


@pytest.mark.parametrize("url", WHOLE_INSTALL_PAGES)
def test_pages_over_the_whole_install_are_refused(limited_client, url):
    assert limited_client.get(url).status_code == 403


@pytest.mark.parametrize("url", SCOPED_PAGES)
def test_pages_scoped_by_tenant_open(limited_client, url):
    assert limited_client.get(url).status_code == 200


def test_the_index_lists_only_scoped_pages_and_no_install_totals(limited_client):
    response = limited_client.get("/admin/")
    assert response.status_code == 200
    listed = {model["admin_url"] for app in response.context["app_list"] for model in app["models"]}
    assert {url for url in listed if "/analytics/" not in url} == {
        url for url in SCOPED_PAGES if "analytics" not in url
    }
    assert all(limited_client.get(url).status_code == 200 for url in listed)
    assert "overview" not in response.context


@pytest.mark.parametrize("url", ["/admin/audit/changebatch/", "/admin/analytics/"])
def test_unlimited_staff_still_reach_them(operator_client, url, mongo):
    assert operator_client.get(url).status_code == 200
