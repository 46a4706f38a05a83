"""API keys in the admin: created with the secret shown once, listed by prefix, revoked, never edited."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from api.models import ApiKey, key_sha256
from api.tests.conftest import GET_BALANCE, issue_key

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
CHANGELIST = reverse("admin:api_apikey_changelist")


def test_adding_a_key_shows_the_secret_once(admin_client, alice):
    response = admin_client.post(
        reverse("admin:api_apikey_add"), {"name": "billing", "scopes": ["read", "write"], "expires_at": ""}
    )
    assert response.status_code == 302
    [shown] = [str(m) for m in get_messages(response.wsgi_request) if "cannot be shown again" in str(m)]
    raw_key = re.search(r"lcbm_\S+", shown).group()
    key = ApiKey.objects.get(name="billing")
    assert key.scopes == "read,write" and key.key_sha256 == key_sha256(raw_key) and key.created_by == "admin"
    assert raw_key in admin_client.get(CHANGELIST).content.decode()
    page_again = admin_client.get(CHANGELIST).content.decode()
    assert key.prefix in page_again and raw_key not in page_again
    assert (
        admin_client.get(GET_BALANCE, {"email": "alice@example.com"}, headers={"x-api-key": raw_key}).status_code == 200
    )


def test_a_key_needs_a_scope_and_a_free_name(admin_client, write_key):
    response = admin_client.post(reverse("admin:api_apikey_add"), {"name": "billing", "scopes": []})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors.keys() == {"name", "scopes"}
    assert ApiKey.objects.count() == 1


def test_the_list_shows_status_and_filters_on_it(admin_client, write_key, read_key):
    ApiKey.objects.get(name="reports").revoke()
    page = admin_client.get(CHANGELIST, {"status": "revoked"}).content.decode()
    assert "reports" in page and "billing" not in page
    assert "revoked" in page


def test_the_revoke_action_revokes_the_selected_keys(admin_client, write_key, read_key):
    billing = ApiKey.objects.get(name="billing")
    response = admin_client.post(CHANGELIST, {"action": "revoke", "_selected_action": [billing.pk]})
    assert response.status_code == 302
    assert ApiKey.objects.get(name="billing").status == "revoked"
    assert ApiKey.objects.get(name="reports").status == "active"


def test_a_saved_key_cannot_be_edited_or_deleted(admin_client, write_key):
    key = ApiKey.objects.get(name="billing")
    change_url = reverse("admin:api_apikey_change", args=[key.pk])
    page = admin_client.get(change_url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert key.key_sha256 not in page.content.decode()
    admin_client.post(change_url, {"name": "renamed", "scopes": ["read"]})
    assert ApiKey.objects.get(pk=key.pk).name == "billing"
    assert admin_client.get(reverse("admin:api_apikey_delete", args=[key.pk])).status_code == 403


def test_staff_without_permission_cannot_see_keys(viewer_client):
    assert viewer_client.get(CHANGELIST).status_code == 403
    assert issue_key("x", ["read"])
