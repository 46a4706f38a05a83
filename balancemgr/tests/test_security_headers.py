"""Security headers and the content security policy on every kind of page."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import override_settings

from librechat.testing import create_user

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])

PRODUCTION = {
    "DEBUG": False,
    "SECRET_KEY": "a-long-random-production-key-" + "x" * 40,
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SECURE_HSTS_PRELOAD": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https"),
}


def assert_hardened(response) -> None:
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy


def test_the_login_page_is_hardened(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert_hardened(response)
    assert "Strict-Transport-Security" not in response


def test_every_admin_page_kind_carries_the_policy(admin_client, mongo):
    alice = create_user("alice@example.com", 1_000_000)
    balance_id = mongo.balances.find_one({"user": alice})["_id"]
    pages = [
        "/admin/",
        "/admin/balances/balance/",
        f"/admin/balances/balance/{balance_id}/change/",
        f"/admin/balances/librechatuser/{alice}/change/",
        "/admin/audit/changebatch/",
        "/admin/balances/balance/export/",
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert_hardened(response)
    confirmation = admin_client.post(
        "/admin/balances/balance/", {"action": "top_up", "_selected_action": [str(balance_id)], "index": 0}
    )
    assert confirmation.status_code == 200 and "change-credits" in confirmation.content.decode()
    assert_hardened(confirmation)
    missing = admin_client.get("/admin/no-such-page/")
    assert missing.status_code == 404
    assert_hardened(missing)


def test_only_the_api_docs_allow_data_images_which_swagger_uis_icons_are(admin_client):
    docs = admin_client.get("/api/docs")
    assert docs.status_code == 200
    assert_hardened(docs)
    assert "img-src 'self' data:" in docs["Content-Security-Policy"]
    assert "data:" not in admin_client.get("/admin/")["Content-Security-Policy"]


def test_the_mongo_unavailable_page_is_hardened(admin_client, unreachable_mongo):
    response = admin_client.get("/admin/balances/balance/")
    assert response.status_code == 503
    assert_hardened(response)


def test_the_redirect_to_the_admin_is_hardened(client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert_hardened(response)


@override_settings(**PRODUCTION)
def test_hsts_is_sent_when_configured(client):
    response = client.get("/admin/login/", HTTP_X_FORWARDED_PROTO="https")
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert client.get("/admin/login/").status_code == 301, "plain HTTP is redirected to HTTPS"


def test_check_deploy_is_clean_with_the_documented_production_settings(tmp_path):
    # The README's production .env, as the environment of a fresh process.
    documented = {
        "SECRET_KEY": "a-long-random-production-key-" + "x" * 40,
        "DEBUG": "false",
        "BASE_PATH": "/balance-manager",
        "ALLOWED_HOSTS": "chat.example.com",
        "TRUST_PROXY": "true",
        "SECURE_SSL_REDIRECT": "true",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "SECURE_HSTS_PRELOAD": "true",
        "LOG_FORMAT": "json",
        "WEBHOOK_SECRET": "a-long-random-webhook-secret-" + "y" * 40,
        "WEBHOOK_BASE_URL": "https://chat.example.com/balance-manager",
        "NOTIFY_TO": "admin@example.com",
        "MONGO_URI": settings.DATABASES["librechat"]["HOST"],
        "DATABASE_URL": f"sqlite:///{tmp_path}/deploy.sqlite3",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env={**os.environ, **documented},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
