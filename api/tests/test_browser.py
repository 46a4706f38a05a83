"""A superuser creates an API key and opens the API docs in a real browser (Debian Chromium)."""

import re

import pytest

from api.models import ApiKey, key_sha256
from librechat.testing import log_in_in_browser

pytestmark = [pytest.mark.django_db(databases=["default", "librechat"], transaction=True), pytest.mark.browser]


def test_a_superuser_creates_a_key_and_reads_the_docs(page, live_server, tmp_path):
    log_in_in_browser(page, live_server.url, "/admin/api/apikey/add/", username="root")
    page.fill("#id_name", "billing")
    page.check("input[name=scopes][value=write]")
    page.screenshot(path=tmp_path / "api-key-add.png", full_page=True)
    page.click("input[name=_save]")
    message = page.locator(".messagelist .warning").inner_text()
    page.screenshot(path=tmp_path / "api-key-created.png", full_page=True)
    raw_key = re.search(r"lcbm_\S+", message).group()
    assert ApiKey.objects.get(name="billing").key_sha256 == key_sha256(raw_key)

    page.goto(f"{live_server.url}/api/docs")
    page.get_by_text("/api/balance/admin/add-balance").first.wait_for()
    page.screenshot(path=tmp_path / "api-docs.png", full_page=True)
    assert page.get_by_text("/api/balance/admin/get-balance").count() >= 1
