"""List pages are titled by what they list, and breadcrumbs never say the same thing twice."""

import html
import re

import pytest
from django.utils.html import strip_tags

from policies.models import Policy
from requests_app.models import CreditRequest

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


def breadcrumbs(response) -> str:
    found = re.search(r'<div class="breadcrumbs">(.*?)</div>', response.content.decode(), re.S)
    return " ".join(
        html.unescape(strip_tags(found.group(1))).replace("\N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK}", ">").split()
    )


@pytest.mark.parametrize(
    ("url", "title", "crumbs"),
    [
        ("/admin/balances/balance/", "Balances", "Home > Balances"),
        ("/admin/balances/librechatuser/", "Users", "Home > Users"),
        ("/admin/requests_app/creditrequest/", "Credit requests", "Home > Credit requests"),
        ("/admin/audit/balancechange/", "History", "Home > History"),
        ("/admin/audit/changebatch/", "Batches", "Home > Batches"),
        ("/admin/policies/policy/", "Policies", "Home > Policies"),
        ("/admin/api/apikey/", "API keys", "Home > API keys"),
    ],
)
def test_a_list_is_titled_by_what_it_lists(admin_client, mongo, url, title, crumbs):
    response = admin_client.get(url)
    assert response.status_code == 200
    assert response.context["title"] == title
    assert f"<h1>{title}</h1>" in response.content.decode()
    assert f"<title>{title} | Balance Manager</title>" in response.content.decode()
    assert breadcrumbs(response) == crumbs


def test_an_objects_breadcrumbs_lead_back_to_its_list_once(admin_client, mongo):
    credit_request = CreditRequest.objects.create(email="a@example.com")
    response = admin_client.get(f"/admin/requests_app/creditrequest/{credit_request.pk}/change/")
    assert response.status_code == 200
    assert breadcrumbs(response) == "Home > Credit requests > a@example.com (Pending)"
    assert 'href="/admin/requests_app/creditrequest/"' in response.content.decode()


def test_a_delete_page_and_an_objects_history_lead_back_to_its_list_once(admin_client, mongo):
    policy = Policy.objects.create(name="Staff", action="add", amount_credits=5)
    for page in ("delete", "history"):
        response = admin_client.get(f"/admin/policies/policy/{policy.pk}/{page}/")
        assert response.status_code == 200
        assert breadcrumbs(response) == f"Home > Policies > Staff > {page.capitalize()}"


def test_the_home_page_is_titled_today(admin_client, mongo):
    response = admin_client.get("/admin/")
    assert "<h1>Today</h1>" in response.content.decode()
