import pytest

from librechat.testing import create_user

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
BIG = "99999999999999999999"
URLS = [
    f"/admin/audit/balancechange/?batch__id__exact={BIG}",
    f"/admin/audit/changebatch/{BIG}/change/",
    f"/admin/audit/changebatch/{BIG}/reverse/",
    f"/admin/audit/balancechange/{BIG}/change/",
    f"/admin/audit/refillchange/{BIG}/change/",
    f"/admin/audit/importrow/{BIG}/change/",
    f"/admin/auth/user/{BIG}/change/",
    f"/admin/auth/user/{BIG}/password/",
    f"/admin/audit/balancechange/?created_at__year={BIG}",
    f"/admin/audit/changebatch/?created_at__year=2020&created_at__month={BIG}",
    "/admin/audit/balancechange/?status__exact=zzz",
    "/admin/audit/changebatch/?kind__exact=zzz",
    "/admin/audit/changebatch/?source=zzz",
    "/admin/balances/transaction/?token_type__exact=zzz",
    "/admin/balances/transaction/?context__exact=zzz",
    "/admin/balances/librechatuser/?provider__exact=zzz",
    "/admin/balances/librechatuser/?balance=maybe",
    "/admin/balances/balance/?auto_refill=yes",
    "/admin/balances/balance/?role=zzz",
    "/admin/balances/balance/aaaaaaaaaaaaaaaaaaaaaaaa/change/",
    "/admin/balances/balance/zz/change/",
    f"/admin/balances/transaction/?user__id__exact={BIG}",
    f"/admin/balances/transaction/?p={BIG}",
    f"/admin/audit/balancechange/?p={BIG}",
    f"/admin/django_tasks_database/dbtaskresult/{BIG}/change/",
]


@pytest.mark.parametrize("url", URLS)
def test_probe(admin_client, mongo, url):
    create_user("a@example.com", 5)
    r = admin_client.get(url)
    print(url, r.status_code, r.get("Location"))
    assert r.status_code != 500
