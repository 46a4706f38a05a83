"""Outgoing mail settings from the environment: EMAIL_URL, the old Balance Manager's SMTP_* names,
or any Django/anymail backend through EMAIL_BACKEND and ANYMAIL_*."""

from collections.abc import Mapping

import environ
from django.core.exceptions import ImproperlyConfigured

# The SMTP_* variable that says the same as each setting EMAIL_URL produces.
_SMTP_NAMES = {
    "EMAIL_HOST": "SMTP_HOST",
    "EMAIL_PORT": "SMTP_PORT",
    "EMAIL_HOST_USER": "SMTP_USER",
    "EMAIL_HOST_PASSWORD": "SMTP_PASS",
}
_SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
DEFAULT_EMAIL_URL = "consolemail://"
DEFAULT_FROM_EMAIL = "balancemgr@localhost"


def email_settings(environment: Mapping[str, str]) -> dict:
    """Django's EMAIL_* settings, DEFAULT_FROM_EMAIL and ANYMAIL; refuses settings that contradict each other."""
    email_url = environment.get("EMAIL_URL", "").strip()
    backend = environment.get("EMAIL_BACKEND", "").strip()
    smtp = _smtp_settings(environment)
    if backend and (email_url or smtp):
        raise ImproperlyConfigured(
            "EMAIL_BACKEND is set together with EMAIL_URL or SMTP_HOST: set only one way of sending mail."
        )
    if backend:
        settings = {"EMAIL_BACKEND": backend}
    elif email_url and smtp:
        settings = environ.Env.email_url_config(email_url)
        disagreeing = [
            f"{_SMTP_NAMES[name]}" for name in _SMTP_NAMES if str(settings.get(name) or "") != str(smtp.get(name) or "")
        ]
        if disagreeing:
            raise ImproperlyConfigured(
                f"EMAIL_URL and {', '.join(disagreeing)} are both set and disagree: "
                "remove one of them (SMTP_* are the old Balance Manager's names for the same thing)."
            )
    elif smtp:
        settings = smtp
    else:
        settings = environ.Env.email_url_config(email_url or DEFAULT_EMAIL_URL)
    settings["DEFAULT_FROM_EMAIL"] = _from_address(environment)
    settings["ANYMAIL"] = {
        name.removeprefix("ANYMAIL_"): value for name, value in environment.items() if name.startswith("ANYMAIL_")
    }
    return settings


def _smtp_settings(environment: Mapping[str, str]) -> dict:
    host = environment.get("SMTP_HOST", "").strip()
    if not host:
        return {}
    port_text = environment.get("SMTP_PORT", "").strip() or "587"
    if not port_text.isdecimal():
        raise ImproperlyConfigured(f"SMTP_PORT must be a port number, not {port_text!r}.")
    port = int(port_text)
    # As the old Balance Manager (nodemailer) did: 465 is TLS from the start, 587 upgrades with STARTTLS.
    return {
        "EMAIL_BACKEND": _SMTP_BACKEND,
        "EMAIL_HOST": host,
        "EMAIL_PORT": port,
        "EMAIL_HOST_USER": environment.get("SMTP_USER", ""),
        "EMAIL_HOST_PASSWORD": environment.get("SMTP_PASS", ""),
        "EMAIL_USE_SSL": port == 465,
        "EMAIL_USE_TLS": port == 587,
    }


def _from_address(environment: Mapping[str, str]) -> str:
    default_from = environment.get("DEFAULT_FROM_EMAIL", "").strip()
    smtp_from = environment.get("SMTP_FROM", "").strip()
    if default_from and smtp_from and default_from != smtp_from:
        raise ImproperlyConfigured("DEFAULT_FROM_EMAIL and SMTP_FROM are both set and disagree: remove one of them.")
    return default_from or smtp_from or DEFAULT_FROM_EMAIL
