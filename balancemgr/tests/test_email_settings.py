"""Mail settings: EMAIL_URL, the old Balance Manager's SMTP_* names, or EMAIL_BACKEND with ANYMAIL_*."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from balancemgr.email_settings import email_settings


def test_nothing_set_prints_mail_to_the_console():
    settings = email_settings({})
    assert settings["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert settings["DEFAULT_FROM_EMAIL"] == "balancemgr@localhost"


def test_the_old_smtp_names_configure_django_smtp():
    settings = email_settings(
        {"SMTP_HOST": "smtp.example.com", "SMTP_PORT": "587", "SMTP_USER": "u", "SMTP_PASS": "p", "SMTP_FROM": "a@b.c"}
    )
    assert settings["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (settings["EMAIL_HOST"], settings["EMAIL_PORT"], settings["EMAIL_HOST_USER"]) == (
        "smtp.example.com",
        587,
        "u",
    )
    assert (settings["EMAIL_USE_TLS"], settings["EMAIL_USE_SSL"]) == (True, False)
    assert settings["DEFAULT_FROM_EMAIL"] == "a@b.c"


def test_port_465_means_tls_from_the_start():
    settings = email_settings({"SMTP_HOST": "smtp.example.com", "SMTP_PORT": "465"})
    assert (settings["EMAIL_USE_TLS"], settings["EMAIL_USE_SSL"]) == (False, True)


def test_email_url_and_smtp_names_that_agree_are_fine():
    settings = email_settings(
        {
            "EMAIL_URL": "smtp+tls://u:p@smtp.example.com:587",
            "SMTP_HOST": "smtp.example.com",
            "SMTP_USER": "u",
            "SMTP_PASS": "p",
        }
    )
    assert settings["EMAIL_HOST"] == "smtp.example.com" and settings["EMAIL_USE_TLS"] is True


def test_email_url_and_smtp_names_that_disagree_stop_the_start():
    with pytest.raises(ImproperlyConfigured, match="EMAIL_URL and SMTP_HOST, SMTP_PASS are both set and disagree"):
        email_settings(
            {"EMAIL_URL": "smtp://u:p@smtp.example.com:587", "SMTP_HOST": "other.example.com", "SMTP_USER": "u"}
        )


def test_two_different_senders_stop_the_start():
    with pytest.raises(ImproperlyConfigured, match="DEFAULT_FROM_EMAIL and SMTP_FROM"):
        email_settings({"DEFAULT_FROM_EMAIL": "a@example.com", "SMTP_FROM": "b@example.com"})


def test_a_bad_port_is_named():
    with pytest.raises(ImproperlyConfigured, match="SMTP_PORT must be a port number"):
        email_settings({"SMTP_HOST": "smtp.example.com", "SMTP_PORT": "smtp"})


def test_an_anymail_backend_takes_its_settings_from_anymail_variables():
    settings = email_settings(
        {
            "EMAIL_BACKEND": "anymail.backends.mailgun.EmailBackend",
            "ANYMAIL_MAILGUN_API_KEY": "key-123",
            "ANYMAIL_MAILGUN_SENDER_DOMAIN": "mg.example.com",
        }
    )
    assert settings["EMAIL_BACKEND"] == "anymail.backends.mailgun.EmailBackend"
    assert settings["ANYMAIL"] == {"MAILGUN_API_KEY": "key-123", "MAILGUN_SENDER_DOMAIN": "mg.example.com"}


def test_a_backend_together_with_smtp_settings_stops_the_start():
    with pytest.raises(ImproperlyConfigured, match="set only one way of sending mail"):
        email_settings({"EMAIL_BACKEND": "anymail.backends.mailgun.EmailBackend", "SMTP_HOST": "smtp.example.com"})


def test_an_anymail_backend_without_its_key_says_which_setting_is_missing(settings):
    from anymail.exceptions import AnymailConfigurationError
    from django.core.mail import get_connection

    settings.ANYMAIL = {}
    with pytest.raises(AnymailConfigurationError, match="MAILGUN_API_KEY"):
        get_connection("anymail.backends.mailgun.EmailBackend")
