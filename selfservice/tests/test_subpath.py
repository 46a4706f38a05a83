"""Under a path prefix (BASE_PATH): the link, the redirects and the /me/ cookie carry it."""

import pytest
from django.conf import settings as django_settings
from django.test import Client, override_settings
from django.urls import set_script_prefix

from librechat.testing import create_user
from selfservice import signin
from selfservice.tests.conftest import mails_to

pytestmark = pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
PREFIX = "/balance-manager"


@pytest.fixture(autouse=True)
def script_prefix():
    """What the WSGI handler does for each request (the test client does not)."""
    set_script_prefix(f"{PREFIX}/")
    yield
    set_script_prefix("/")
    django_settings.__dict__.pop("STATIC_URL", None)


@override_settings(
    FORCE_SCRIPT_NAME=PREFIX, STATIC_URL=f"{PREFIX}/static/", WEBHOOK_BASE_URL=f"http://testserver{PREFIX}"
)
def test_the_link_and_the_cookie_live_under_the_prefix(mongo):
    create_user("alice@example.com", 1_000_000)
    client = Client()
    response = client.post("/me/", {"email": "alice@example.com"})
    assert response.status_code == 302 and response["Location"] == f"{PREFIX}/me/sent/"
    [message] = mails_to("alice@example.com")
    url = next(line for line in message.body.splitlines() if "/me/link/" in line)
    assert url.startswith(f"http://testserver{PREFIX}/me/link/")
    response = client.post(url.removeprefix(f"http://testserver{PREFIX}"))
    assert response.status_code == 302 and response["Location"] == f"{PREFIX}/me/"
    assert response.cookies[signin.COOKIE_NAME]["path"] == f"{PREFIX}/me/"
