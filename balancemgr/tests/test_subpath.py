"""Under a path prefix (BASE_PATH=/balance-manager): the proxy strips it, Django puts it back."""

import re

import pytest
from django.conf import settings as django_settings
from django.test import Client, override_settings
from django.urls import set_script_prefix

from librechat.testing import create_user, credits_of

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
PREFIX = "/balance-manager"
UNDER_PREFIX = override_settings(
    FORCE_SCRIPT_NAME=PREFIX,
    STATIC_URL=f"{PREFIX}/static/",
    SESSION_COOKIE_PATH=f"{PREFIX}/",
    CSRF_COOKIE_PATH=f"{PREFIX}/",
    WHITENOISE_USE_FINDERS=True,
)


@pytest.fixture(autouse=True)
def script_prefix():
    """What the WSGI handler does for each request (the test client does not)."""
    set_script_prefix(f"{PREFIX}/")
    yield
    # Back to no prefix. Django caches settings.STATIC_URL with the script prefix it was first read
    # under; read under this test's prefix, it would send later tests (a live server) to /balance-manager/static/.
    set_script_prefix("/")
    django_settings.__dict__.pop("STATIC_URL", None)


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "correct horse")


@UNDER_PREFIX
def test_logging_in_redirects_and_sets_cookies_under_the_prefix(staff):
    client = Client()
    assert client.get("/")["Location"] == f"{PREFIX}/admin/"
    login_page = client.get("/admin/login/?next=/balance-manager/admin/")
    assert login_page.status_code == 200
    assert f'action="{PREFIX}/admin/login/' in login_page.content.decode()
    assert client.cookies["csrftoken"]["path"] == f"{PREFIX}/"
    response = client.post(
        "/admin/login/?next=/balance-manager/admin/", {"username": "root", "password": "correct horse"}
    )
    assert response.status_code == 302 and response["Location"] == f"{PREFIX}/admin/"
    assert client.cookies["sessionid"]["path"] == f"{PREFIX}/"
    assert client.session["_auth_user_id"] == str(staff.pk)


@UNDER_PREFIX
def test_a_changelist_links_within_the_prefix(staff, mongo):
    create_user("alice@example.com", 1_000_000)
    client = Client()
    client.force_login(staff)
    response = client.get("/admin/balances/balance/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "alice@example.com" in page
    links = re.findall(r'(?:href|src|action)="(/[^"]*)"', page)
    # The admin's "View site" link is the prefix itself.
    assert links and all(link.startswith(f"{PREFIX}/") or link == PREFIX for link in links), [
        link for link in links if not link.startswith(f"{PREFIX}/")
    ]


@UNDER_PREFIX
def test_static_files_are_linked_and_served_under_the_prefix(client):
    page = client.get("/admin/login/").content.decode()
    css = f"{PREFIX}/static/admin/css/base.css"
    assert f'href="{css}"' in page
    response = Client().get(css.removeprefix(PREFIX))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"/*")


@UNDER_PREFIX
# Inside UNDER_PREFIX, never pytest-django's `settings` fixture: it would restore its overrides
# after the decorator's, putting FORCE_SCRIPT_NAME back for every later test.
@override_settings(
    WEBHOOK_SECRET="subpath-secret", NOTIFY_TO=["ann@example.com"], WEBHOOK_BASE_URL=f"https://chat.example.com{PREFIX}"
)
@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_the_public_page_and_its_signed_links_work_under_the_prefix(client, mongo):
    from django.core import mail

    from requests_app.tests.conftest import links_in, run_worker

    alice = create_user("alice@example.com", 0)
    form = client.get("/request/")
    assert form.status_code == 200 and f'action="{PREFIX}/request/"' in form.content.decode()
    data = {"email": "alice@example.com", "reference": "JOB-1", "amount_wished": "", "reason": "thesis"}
    sent = client.post("/request/", data)
    assert sent.status_code == 302 and sent["Location"] == f"{PREFIX}/request/sent/"
    run_worker()
    [link, *_] = links_in(mail.outbox[0])
    assert link.startswith(f"https://chat.example.com{PREFIX}/request/decide/"), link
    path = link.removeprefix(f"https://chat.example.com{PREFIX}")
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 200  # the confirmation page posts to its own address
    assert credits_of(alice) > 0


@UNDER_PREFIX
def test_an_api_call_works_under_the_prefix(client, mongo):
    from api.tests.conftest import issue_key

    create_user("alice@example.com", 1_234)
    key = issue_key("subpath", ["read"])
    response = client.get("/api/balance/admin/get-balance", {"email": "alice@example.com"}, headers={"x-api-key": key})
    assert response.status_code == 200 and response.json()["balance"] == 1_234
    assert f"{PREFIX}/api/balance/admin/get-balance" in client.get("/api/openapi.json").json()["paths"]
