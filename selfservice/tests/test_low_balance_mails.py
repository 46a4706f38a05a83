"""The low-balance mails switch on the statement: the same opt-out as the mails' unsubscribe link."""

import pytest

from alerts.models import MailOptOut
from alerts.schedule import run_due
from alerts.tests.test_low_balance import spend_like_librechat, user_mails
from librechat.testing import create_user
from selfservice.tests.conftest import sign_in

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


@pytest.fixture(autouse=True)
def alert_settings(settings):
    settings.LOW_BALANCE_THRESHOLDS = [1_000_000]
    settings.LOW_BALANCE_MAIL_USERS = True
    settings.NOTIFY_TO, settings.NOTIFY_URLS, settings.REPORT_SCHEDULE = [], [], []
    settings.ALERT_DIGEST_HOUR_UTC = 24


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_a_user_stops_and_restarts_their_low_balance_mails_from_the_statement(client, mongo):
    alice = create_user("alice@example.com", 1_100_000)
    sign_in(client, "alice@example.com")
    assert "You get a mail when your credits run low." in client.get("/me/").content.decode()

    assert client.post("/me/low-balance-mails/").status_code == 302
    assert MailOptOut.objects.filter(librechat_user_id=str(alice)).exists()
    assert "You get no mail when your credits run low." in client.get("/me/").content.decode()
    run_due()
    spend_like_librechat(alice, 200_000)
    run_due()
    assert user_mails("alice@example.com") == []

    assert client.post("/me/low-balance-mails/", {"wanted": "on"}).status_code == 302
    assert not MailOptOut.objects.exists()


def test_without_a_session_the_switch_changes_nothing(client, mongo):
    create_user("alice@example.com", 1_100_000)
    assert client.post("/me/low-balance-mails/").status_code == 302
    assert not MailOptOut.objects.exists()
