"""Production start-up checks for the credit request links."""

from balancemgr.checks import check_approval_links


def ids(settings) -> list[str]:
    return [message.id for message in check_approval_links(None)]


def test_production_without_a_base_url_or_admins_is_an_error_and_a_warning(settings):
    settings.DEBUG = False
    settings.WEBHOOK_BASE_URL, settings.NOTIFY_TO = "", []
    assert ids(settings) == ["balancemgr.E011", "balancemgr.W010"]


def test_a_base_url_without_scheme_is_an_error(settings):
    settings.DEBUG = False
    settings.WEBHOOK_BASE_URL, settings.NOTIFY_TO = "chat.example.com", ["a@b.c"]
    assert ids(settings) == ["balancemgr.E011"]


def test_a_complete_configuration_passes(settings):
    settings.DEBUG = False
    settings.WEBHOOK_BASE_URL = "https://chat.example.com/balance-manager"
    settings.NOTIFY_TO = ["a@b.c"]
    assert ids(settings) == []


def test_debug_needs_none_of_it(settings):
    settings.DEBUG = True
    settings.WEBHOOK_BASE_URL, settings.NOTIFY_TO = "", []
    assert ids(settings) == []
