"""Each production setting read from the environment, in a fresh interpreter per environment."""

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings

from librechat.embedded_mongo import free_port

SHOWN = [
    "DEBUG",
    "STATIC_URL",
    "FORCE_SCRIPT_NAME",
    "SESSION_COOKIE_PATH",
    "CSRF_COOKIE_PATH",
    "TRUST_PROXY",
    "SECURE_PROXY_SSL_HEADER",
    "USE_X_FORWARDED_HOST",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "X_FRAME_OPTIONS",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "AXES_ENABLED",
    "AXES_FAILURE_LIMIT",
    "AXES_COOLOFF_TIME",
    "HEALTH_TIMEOUT_MS",
    "METRICS_ENABLED",
    "LOG_FORMAT",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
]
# Variables these tests set; the caller's own values are removed so that defaults show.
CLEARED = [*SHOWN, "BASE_PATH", "SECURE_COOKIES", "AXES_COOLOFF_MINUTES"]


def settings_for(**variables: str) -> dict:
    """The settings Django computes for these environment variables (and defaults for the rest)."""
    env = {name: value for name, value in os.environ.items() if name not in CLEARED} | variables
    code = (
        "import json, sys; from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name, None) for name in {SHOWN!r}}}, default=str))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "balancemgr.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def test_defaults_are_safe_without_a_proxy_or_prefix():
    shown = settings_for()
    assert shown["DEBUG"] is False
    assert shown["FORCE_SCRIPT_NAME"] is None
    assert shown["SESSION_COOKIE_PATH"] == "/"
    assert shown["TRUST_PROXY"] is False
    assert shown["SECURE_PROXY_SSL_HEADER"] is None
    assert shown["USE_X_FORWARDED_HOST"] is False
    assert shown["SESSION_COOKIE_SECURE"] is True and shown["CSRF_COOKIE_SECURE"] is True
    assert shown["SECURE_SSL_REDIRECT"] is False
    assert shown["SECURE_HSTS_SECONDS"] == 0
    assert shown["X_FRAME_OPTIONS"] == "DENY"
    assert shown["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert shown["SECURE_REFERRER_POLICY"] == "same-origin"
    assert shown["AXES_ENABLED"] is True and shown["AXES_FAILURE_LIMIT"] == 5
    assert shown["AXES_COOLOFF_TIME"] == str(timedelta(minutes=15))
    assert shown["HEALTH_TIMEOUT_MS"] == 2000
    assert shown["METRICS_ENABLED"] is False
    assert shown["LOG_FORMAT"] == "text"


def test_debug_turns_secure_cookies_off_unless_asked():
    assert settings_for(DEBUG="true")["SESSION_COOKIE_SECURE"] is False
    assert settings_for(DEBUG="true", SECURE_COOKIES="true")["CSRF_COOKIE_SECURE"] is True
    assert settings_for(SECURE_COOKIES="false")["SESSION_COOKIE_SECURE"] is False


def test_base_path_sets_the_script_name_and_cookie_paths():
    for written in ("/balance-manager", "balance-manager/", "/balance-manager/"):
        shown = settings_for(BASE_PATH=written)
        assert shown["FORCE_SCRIPT_NAME"] == "/balance-manager"
        assert shown["STATIC_URL"] == "/balance-manager/static/"
        assert shown["SESSION_COOKIE_PATH"] == "/balance-manager/"
        assert shown["CSRF_COOKIE_PATH"] == "/balance-manager/"


def test_forwarded_headers_are_trusted_only_with_trust_proxy():
    shown = settings_for(TRUST_PROXY="true")
    assert shown["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert shown["USE_X_FORWARDED_HOST"] is True


def test_the_rest_come_from_the_environment():
    shown = settings_for(
        SECURE_SSL_REDIRECT="true",
        SECURE_HSTS_SECONDS="31536000",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="true",
        SECURE_HSTS_PRELOAD="true",
        AXES_ENABLED="false",
        AXES_FAILURE_LIMIT="3",
        AXES_COOLOFF_MINUTES="2.5",
        HEALTH_TIMEOUT_MS="500",
        METRICS_ENABLED="true",
        LOG_FORMAT="json",
        ALLOWED_HOSTS="chat.example.com",
        CSRF_TRUSTED_ORIGINS="https://chat.example.com",
    )
    assert shown["SECURE_SSL_REDIRECT"] is True
    assert shown["SECURE_HSTS_SECONDS"] == 31536000
    assert shown["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True and shown["SECURE_HSTS_PRELOAD"] is True
    assert shown["AXES_ENABLED"] is False and shown["AXES_FAILURE_LIMIT"] == 3
    assert shown["AXES_COOLOFF_TIME"] == str(timedelta(minutes=2.5))
    assert shown["HEALTH_TIMEOUT_MS"] == 500
    assert shown["METRICS_ENABLED"] is True
    assert shown["LOG_FORMAT"] == "json"
    assert shown["ALLOWED_HOSTS"] == ["chat.example.com"]
    assert shown["CSRF_TRUSTED_ORIGINS"] == ["https://chat.example.com"]


def start_without(*names: str, command: list[str], **variables: str) -> subprocess.CompletedProcess:
    """Run `command` in this project with DEBUG off and `names` removed from the environment."""
    env = {name: value for name, value in os.environ.items() if name not in (*names, "DEBUG")}
    return subprocess.run(
        command,
        cwd=settings.BASE_DIR,
        env={**env, "DEBUG": "false", "MONGO_TIMEOUT_MS": "100", "DJANGO_SETTINGS_MODULE": "balancemgr.settings"}
        | variables,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("removed", "variables", "named"),
    [
        (["SECRET_KEY"], {}, "SECRET_KEY must be set"),
        (["WEBHOOK_SECRET"], {}, "WEBHOOK_SECRET must be set"),
        ([], {"SECRET_KEY": "insecure-dev-only-key-set-SECRET_KEY-in-production"}, "SECRET_KEY must be set"),
        (["SECRET_KEY", "WEBHOOK_SECRET"], {}, "SECRET_KEY and WEBHOOK_SECRET must be set"),
    ],
)
def test_without_real_secrets_and_debug_off_nothing_starts(removed, variables, named):
    result = start_without(*removed, command=[sys.executable, "-c", "import django; django.setup()"], **variables)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and named in result.stderr


def test_debug_starts_without_secrets():
    env = {name: value for name, value in os.environ.items() if name not in ("SECRET_KEY", "WEBHOOK_SECRET")}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=settings.BASE_DIR,
        env={**env, "DEBUG": "true", "DJANGO_SETTINGS_MODULE": "balancemgr.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_gunicorn_exits_at_start_up_without_a_secret_key():
    port = str(free_port())
    command = [sys.executable, "-m", "gunicorn", "balancemgr.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    result = start_without("SECRET_KEY", command=command)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
