"""A superuser creates an API key and opens the API docs in a real browser (Debian Chromium)."""

import re

import pytest

from api.models import ApiKey, key_sha256

pytestmark = [pytest.mark.django_db(databases=["default", "librechat"], transaction=True), pytest.mark.browser]


def test_a_superuser_creates_a_key_and_reads_the_docs(page, live_server, django_user_model, tmp_path):
    django_user_model.objects.create_superuser("root", password="correct horse")
    page.goto(f"{live_server.url}/admin/login/?next=/admin/api/apikey/add/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "correct horse")
    page.click("input[type=submit]")
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
