"""Tenants in the balances and users admin: a column and a filter, and staff limited to some tenants."""

import csv
import io

import pytest

from balances.resources import BalanceExportResource
from balances.tests.test_admin_actions import post_action, review_and_apply
from librechat.testing import create_user, credit_transactions, credits_of
from tenancy.models import StaffTenantScope

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
BALANCES = "/admin/balances/balance/"
USERS = "/admin/balances/librechatuser/"


@pytest.fixture
def people(mongo):
    return {
        "ann": create_user("ann@acme.example", 1_000, tenant_id="acme"),
        "gus": create_user("gus@globex.example", 2_000, tenant_id="globex"),
        "lone": create_user("lone@example.com", 3_000),
    }


@pytest.fixture
def acme_operator(operator_client, django_user_model):
    """The operator group's member, limited to the tenant acme."""
    StaffTenantScope.objects.create(user=django_user_model.objects.get(username="operator"), tenants="acme")
    return operator_client


def balance_id(mongo, user_id) -> str:
    return str(mongo.balances.find_one({"user": user_id})["_id"])


def listed_emails(response) -> list[str]:
    rows = response.context["cl"].result_list
    return sorted(row.email if hasattr(row, "email") else row.user.email for row in rows)


def test_the_lists_show_a_tenant_column_and_filter(admin_client, people):
    for url in (BALANCES, USERS):
        response = admin_client.get(url)
        assert "tenant" in response.context["cl"].list_display
        assert '<td class="field-tenant">acme</td>' in response.content.decode()
        filtered = admin_client.get(url, {"tenant": "globex"})
        assert listed_emails(filtered) == ["gus@globex.example"]


def test_installs_without_tenants_show_no_tenant_column_or_filter(admin_client, mongo):
    create_user("plain@example.com", 1_000)
    for url in (BALANCES, USERS):
        response = admin_client.get(url)
        assert "tenant" not in response.context["cl"].list_display
        assert "?tenant=" not in response.content.decode()


def test_a_limited_staff_account_lists_only_its_tenants_users(acme_operator, people):
    for url in (BALANCES, USERS):
        response = acme_operator.get(url)
        assert response.status_code == 200
        assert listed_emails(response) == ["ann@acme.example"]
        assert listed_emails(acme_operator.get(url, {"tenant": "globex"})) == []


def test_another_tenants_user_page_answers_as_an_unknown_user(acme_operator, people, mongo):
    assert acme_operator.get(f"{USERS}{people['ann']}/change/").status_code == 200
    unknown = acme_operator.get(f"{USERS}0123456789abcdef01234567/change/")
    other = acme_operator.get(f"{USERS}{people['gus']}/change/")
    assert (other.status_code, other["Location"]) == (unknown.status_code, unknown["Location"]) == (302, "/admin/")
    other_balance = acme_operator.get(f"{BALANCES}{balance_id(mongo, people['gus'])}/change/")
    assert (other_balance.status_code, other_balance["Location"]) == (302, "/admin/")


def test_a_limited_staff_account_tops_up_its_tenants_users(acme_operator, people, mongo):
    done = review_and_apply(acme_operator, BALANCES, "top_up", [balance_id(mongo, people["ann"])], amount="500")
    assert done.status_code == 302
    assert credits_of(people["ann"]) == 1_500


@pytest.mark.parametrize("url", [BALANCES, USERS])
def test_a_hand_made_selection_never_reaches_another_tenants_user(acme_operator, people, mongo, url):
    def pk(name):
        return balance_id(mongo, people[name]) if url == BALANCES else str(people[name])

    done = review_and_apply(acme_operator, url, "top_up", [pk("ann"), pk("gus"), pk("lone")], amount="500")
    assert done.status_code == 302
    assert (credits_of(people["ann"]), credits_of(people["gus"]), credits_of(people["lone"])) == (1_500, 2_000, 3_000)
    assert credit_transactions(people["gus"]) == credit_transactions(people["lone"]) == []


def test_a_balance_stamped_with_another_tenant_than_its_users_is_refused(acme_operator, mongo):
    # Odd data: the balance document says acme, its user is globex's. The user's tenant decides.
    mallory = create_user("mallory@globex.example", tenant_id="globex")
    mongo.balances.insert_one({"user": mallory, "tokenCredits": 10, "tenantId": "acme"})
    selected = [balance_id(mongo, mallory)]
    response = post_action(acme_operator, BALANCES, "top_up", selected, step="choose", amount="500", batch_id="b" * 32)
    assert response.status_code == 302
    assert "Not in your tenants: 1 user of the selection" in str(list(response.wsgi_request._messages))
    assert credits_of(mallory) == 10 and credit_transactions(mallory) == []


def test_a_limited_staff_accounts_export_holds_its_tenants_users_with_their_tenant(viewer_client, people, db):
    from django.contrib.auth.models import User

    StaffTenantScope.objects.create(user=User.objects.get(username="viewer"), tenants="globex")
    data = {
        "format": "0",
        "resource": "0",
        **{f"balanceexportresource_{name}": "on" for name in BalanceExportResource.Meta.export_order},
    }
    response = viewer_client.post(f"{BALANCES}export/", data)
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(row["email"], row["tenant"]) for row in rows] == [("gus@globex.example", "globex")]


def test_superusers_are_never_limited(admin_client, admin_user, people):
    StaffTenantScope.objects.create(user=admin_user, tenants="acme")
    assert len(admin_client.get(USERS).context["cl"].result_list) == 3


def test_only_superusers_edit_staff_tenant_scopes(acme_operator, admin_client, db):
    assert acme_operator.get("/admin/tenancy/stafftenantscope/").status_code == 403
    assert admin_client.get("/admin/tenancy/stafftenantscope/").status_code == 200
