"""The admins' daily digest and its signed one-click top-up links."""

from datetime import timedelta

import pytest
from django.core import signing
from django.utils import timezone

from alerts import links
from alerts.models import ScheduledRun
from alerts.schedule import run_due
from alerts.tests.test_low_balance import spend_like_librechat
from ledger.models import ChangeBatch
from librechat.testing import create_user, credits_of
from outbox.models import Message

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


@pytest.fixture(autouse=True)
def alert_settings(settings):
    settings.LOW_BALANCE_THRESHOLDS = [1_000_000, 0]
    settings.LOW_BALANCE_MAIL_USERS = False
    settings.NOTIFY_TO = ["ops@example.com"]
    settings.NOTIFY_URLS = []
    settings.REPORT_SCHEDULE = []
    settings.ALERT_DIGEST_HOUR_UTC = 0
    settings.ALERT_TOP_UP_CREDITS = 2_000_000
    settings.APPROVAL_LINKS_REQUIRE_LOGIN = False


@pytest.fixture
def crossed(mongo):
    alice = create_user("alice@example.com", 1_200_000)
    run_due(timezone.now() - timedelta(days=1))
    spend_like_librechat(alice, 300_000)
    run_due()
    return alice


def digest() -> Message:
    return Message.objects.get(event="alerts.digest", recipient="ops@example.com")


def top_up_path(message: Message) -> str:
    url = next(word for word in message.body_text.split() if "/alerts/top-up/" in word)
    return url[url.index("/alerts/") :]


def test_the_digest_names_who_crossed_with_their_spend_and_a_top_up_link(crossed):
    text = digest().body_text
    assert "alice@example.com: 900,000" in text and "below 1,000,000" in text
    assert "/alerts/top-up/" in text
    assert ScheduledRun.objects.filter(job="digest", key=timezone.now().date().isoformat()).exists()


def test_the_digest_is_sent_once_a_day_however_often_the_check_runs(crossed):
    run_due()
    run_due()
    assert Message.objects.filter(event="alerts.digest").count() == 1


def test_opening_a_top_up_link_changes_nothing(crossed, client):
    response = client.get(top_up_path(digest()))
    assert response.status_code == 200
    assert b"Top up alice@example.com by 2,000,000 credits" in response.content
    assert credits_of(crossed) == 900_000


def test_confirming_a_top_up_link_credits_once(crossed, client):
    path = top_up_path(digest())
    response = client.post(path)
    assert response.status_code == 200
    assert credits_of(crossed) == 2_900_000
    again = client.post(path)
    assert again.status_code == 409
    assert credits_of(crossed) == 2_900_000
    batch = ChangeBatch.objects.get(source="alert")
    assert batch.actor == "ops@example.com"


def test_a_tampered_top_up_link_is_refused(crossed, client):
    path = top_up_path(digest())
    response = client.post(path[:-3] + "xyz/")
    assert response.status_code == 400
    assert credits_of(crossed) == 900_000


def test_an_expired_top_up_link_is_refused(crossed, client, settings):
    path = top_up_path(digest())
    settings.WEBHOOK_TTL_HOURS = 0
    response = client.post(path)
    assert response.status_code == 410
    assert credits_of(crossed) == 900_000


def test_a_link_signed_for_another_purpose_is_refused(crossed, client):
    token = signing.dumps({"u": str(crossed), "e": "alice@example.com"}, key="x", salt=links.UNSUBSCRIBE_SALT)
    response = client.post(f"/alerts/top-up/{token}/")
    assert response.status_code == 400


def test_unsubscribing_asks_first_then_stops_the_mails(mongo, client, settings):
    settings.LOW_BALANCE_MAIL_USERS = True
    bob = create_user("bob@example.com", 1_200_000)
    url = links.unsubscribe_url(str(bob), "bob@example.com")
    path = url[url.index("/alerts/") :]
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 200
    run_due()
    spend_like_librechat(bob, 300_000)
    run_due()
    assert not Message.objects.filter(event="alerts.low_balance.user").exists()


def test_the_unsubscribe_page_speaks_the_visitors_language(mongo, client):
    bob = create_user("bob@example.com", 1_200_000)
    url = links.unsubscribe_url(str(bob), "bob@example.com")
    page = client.get(url[url.index("/alerts/") :], HTTP_ACCEPT_LANGUAGE="de")
    assert page.status_code == 200
    assert "E-Mails bei knappen Credits abbestellen?" in page.content.decode()
