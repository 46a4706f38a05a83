"""The lists an operator searches most update as they type, with one shared script (no inline code)."""

import pytest

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
LISTS = [
    "/admin/balances/balance/",
    "/admin/balances/librechatuser/",
    "/admin/requests_app/creditrequest/",
    "/admin/audit/balancechange/",
    "/admin/audit/changebatch/",
    "/admin/audit/refillchange/",
]


@pytest.mark.parametrize("url", LISTS)
def test_the_list_loads_the_shared_search_script_once(admin_client, mongo, url):
    response = admin_client.get(url)
    assert response.status_code == 200
    content = response.content.decode()
    assert content.count('src="/static/web/search_as_you_type.js"') == 1
    assert 'id="searchbar"' in content and 'id="changelist-search"' in content
