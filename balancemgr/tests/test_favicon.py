"""Every page names the icon, and /favicon.ico (asked for by browsers regardless) finds it."""

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


def test_favicon_ico_redirects_to_the_static_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/balancemgr/favicon.ico"
    with open(finders.find("balancemgr/favicon.ico"), "rb") as icon:
        assert icon.read(4) == b"\x00\x00\x01\x00"  # an ICO header


@pytest.mark.parametrize("url", ["/admin/login/", "/admin/", "/request/", "/me/"])
def test_admin_and_public_pages_link_the_icon(admin_client, mongo, url):
    content = admin_client.get(url, follow=True).content.decode()
    assert '<link rel="icon" href="/static/balancemgr/favicon.svg" type="image/svg+xml">' in content
    assert finders.find("balancemgr/favicon.svg")
