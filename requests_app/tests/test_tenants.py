"""The request queue by tenant: requests keep their user's tenant; limited staff see and approve only theirs."""

import pytest

from librechat.testing import create_user, credit_transactions, credits_of
from requests_app.models import CreditRequest
from requests_app.tests.conftest import pending_request, run_worker, submit
from tenancy.models import StaffTenantScope

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
QUEUE = "/admin/requests_app/creditrequest/"


@pytest.fixture
def people(mongo):
    return {
        "ann": create_user("ann@acme.example", 1_000, tenant_id="acme"),
        "gus": create_user("gus@globex.example", 2_000, tenant_id="globex"),
    }


@pytest.fixture
def acme_operator(operator_client, django_user_model):
    StaffTenantScope.objects.create(user=django_user_model.objects.get(username="operator"), tenants="acme")
    return operator_client


def approve(client, credit_request):
    data = {"action": "approve", "_selected_action": [credit_request.pk], "index": 0}
    return client.post(QUEUE, {**data, "step": "decide", "amount_preset": "custom", "amount": "500"})


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_an_identified_request_keeps_its_users_tenant(client, people):
    submit(client, email="ann@acme.example")
    submit(client, email="nobody@example.com")
    run_worker()
    assert dict(CreditRequest.objects.values_list("email", "tenant_id")) == {
        "ann@acme.example": "acme",
        "nobody@example.com": "",
    }


def test_a_limited_staff_account_sees_and_approves_only_its_tenants_requests(acme_operator, people):
    ann = pending_request("ann@acme.example", user_id=people["ann"], tenant_id="acme")
    gus = pending_request("gus@globex.example", user_id=people["gus"], tenant_id="globex")
    listed = acme_operator.get(QUEUE).context["cl"].result_list
    assert [r.pk for r in listed] == [ann.pk]
    assert acme_operator.get(f"{QUEUE}{gus.pk}/change/").status_code == 302
    assert approve(acme_operator, gus).status_code == 302
    assert approve(acme_operator, ann).status_code == 302
    assert (credits_of(people["ann"]), credits_of(people["gus"])) == (1_500, 2_000)
    gus.refresh_from_db()
    assert gus.status == "pending" and credit_transactions(people["gus"]) == []


def test_approving_a_request_whose_email_now_belongs_to_another_tenant_is_refused(acme_operator, people):
    # Recorded as acme's, but the address is a globex user's now: approval would credit globex.
    odd = pending_request("gus@globex.example", user_id=people["gus"], tenant_id="acme")
    response = approve(acme_operator, odd)
    assert response.status_code == 302
    assert "not in your tenants" in str(list(response.wsgi_request._messages))
    odd.refresh_from_db()
    assert odd.status == "pending" and credits_of(people["gus"]) == 2_000
