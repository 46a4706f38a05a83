"""Start-up checks for the credit request links and mails."""

from io import StringIO

import pytest
from django.core.management import call_command

from balancemgr.checks import check_approval_links, check_notify_to


def ids(settings) -> list[str]:
    return [message.id for message in [*check_approval_links(None), *check_notify_to(None)]]


def test_production_without_link_secret_or_base_url_is_an_error(settings):
    settings.DEBUG = False
    settings.WEBHOOK_SECRET, settings.WEBHOOK_BASE_URL, settings.NOTIFY_TO = "", "", []
    assert ids(settings) == ["balancemgr.E010", "balancemgr.E011", "balancemgr.W010"]


def test_a_base_url_without_scheme_is_an_error(settings):
    settings.DEBUG = False
    settings.WEBHOOK_SECRET, settings.WEBHOOK_BASE_URL, settings.NOTIFY_TO = "s", "chat.example.com", ["a@b.c"]
    assert ids(settings) == ["balancemgr.E011"]


def test_a_complete_configuration_passes(settings):
    settings.DEBUG = False
    settings.WEBHOOK_SECRET, settings.WEBHOOK_BASE_URL = "s", "https://chat.example.com/balance-manager"
    settings.NOTIFY_TO = ["a@b.c"]
    assert ids(settings) == []


def test_debug_needs_no_secret_or_base_url(settings):
    settings.DEBUG = True
    settings.WEBHOOK_SECRET, settings.WEBHOOK_BASE_URL, settings.NOTIFY_TO = "", "", ["a@b.c"]
    assert ids(settings) == []


@pytest.mark.django_db(databases=["default", "librechat"])
def test_an_empty_notify_to_is_said_at_start_up_with_debug_on_too(settings):
    settings.DEBUG = True
    settings.NOTIFY_TO = []
    # The same checks runserver runs before it serves.
    output = StringIO()
    call_command("check", stdout=output, stderr=output)
    assert "balancemgr.W010" in output.getvalue() and "NOTIFY_TO is empty" in output.getvalue()
