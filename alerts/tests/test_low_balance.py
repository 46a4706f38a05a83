"""Low-balance alerts: one user mail per crossing, re-armed by a top-up, found without scanning transactions."""

import threading
from datetime import timedelta

import pytest
from bson import ObjectId
from django.core import mail
from django.db import connection
from django.utils import timezone

from alerts.messages import queue_low_balance_mail
from alerts.models import CheckState, MailOptOut, ThresholdState
from alerts.schedule import run_due
from alerts.thresholds import check_low_balances
from analytics.testing import spend
from ledger.changes import Kind, Target, change_one
from librechat.mongo import librechat_db
from librechat.testing import create_user
from outbox.models import Message
from outbox.sending import send_due_messages

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


@pytest.fixture(autouse=True)
def alert_settings(settings):
    settings.LOW_BALANCE_THRESHOLDS = [1_000_000, 0]
    settings.LOW_BALANCE_MAIL_USERS = True
    settings.NOTIFY_TO = ["ops@example.com"]
    settings.NOTIFY_URLS = []
    settings.REPORT_SCHEDULE = []
    settings.ALERT_DIGEST_HOUR_UTC = 24  # no digest unless a test asks for one


def spend_like_librechat(user_id: ObjectId, credits: int) -> None:
    """LibreChat's order: the spending row first, then `$inc` on the earliest balance document."""
    spend(user_id, timezone.now(), tokens=credits, rate=1)
    librechat_db().balances.update_one({"user": user_id}, {"$inc": {"tokenCredits": -credits}})


def user_mails(to: str) -> list[Message]:
    return list(Message.objects.filter(event="alerts.low_balance.user", recipient=to))


def test_spending_below_a_threshold_mails_the_user_once(mongo):
    alice = create_user("alice@example.com", 1_200_000)
    run_due()  # the first run looks at everyone and starts the cursor
    spend_like_librechat(alice, 300_000)
    run_due()
    run_due()
    assert len(user_mails("alice@example.com")) == 1
    state = ThresholdState.objects.get(librechat_user_id=str(alice), threshold_credits=1_000_000)
    assert state.fired and state.available_credits_when_fired == 900_000
    send_due_messages()
    assert [message.to for message in mail.outbox] == [["alice@example.com"]]
    assert "900,000 credits ($0.90)" in mail.outbox[0].body
    assert "/request/?email=alice%40example.com" in mail.outbox[0].body


def test_a_user_who_falls_below_two_thresholds_gets_one_mail_naming_the_lower(mongo):
    bob = create_user("bob@example.com", 1_500_000)
    run_due()
    spend_like_librechat(bob, 1_600_000)
    run_due()
    assert len(user_mails("bob@example.com")) == 1
    assert "below 0" in user_mails("bob@example.com")[0].body_text
    assert ThresholdState.objects.filter(librechat_user_id=str(bob), fired=True).count() == 2


def test_a_top_up_rearms_the_alert(mongo):
    carol = create_user("carol@example.com", 1_100_000)
    run_due()
    spend_like_librechat(carol, 200_000)
    run_due()
    change_one(Target(carol, "carol@example.com"), kind=Kind.ADD, amount_credits=500_000, source="admin", actor="ops")
    run_due()
    assert not ThresholdState.objects.get(librechat_user_id=str(carol), threshold_credits=1_000_000).fired
    spend_like_librechat(carol, 600_000)
    run_due()
    assert len(user_mails("carol@example.com")) == 2


def test_our_own_set_below_a_threshold_is_noticed(mongo):
    dave = create_user("dave@example.com", 5_000_000)
    run_due()
    change_one(Target(dave, "dave@example.com"), kind=Kind.SET, amount_credits=10, source="admin", actor="ops")
    run_due()
    assert len(user_mails("dave@example.com")) == 1


def test_reserved_credits_count_against_the_available_balance(mongo):
    later = timezone.now() + timedelta(minutes=5)
    create_user("erin@example.com", 1_200_000, reservations=[{"id": "r1", "amount": 300_000, "expiresAt": later}])
    run_due()
    assert len(user_mails("erin@example.com")) == 1


def test_an_expired_hold_does_not_count(mongo):
    earlier = timezone.now() - timedelta(minutes=5)
    create_user("fay@example.com", 1_200_000, reservations=[{"id": "r1", "amount": 300_000, "expiresAt": earlier}])
    run_due()
    assert user_mails("fay@example.com") == []


def test_an_unsubscribed_user_gets_no_mail_but_the_state_still_fires(mongo):
    gus = create_user("gus@example.com", 1_200_000)
    MailOptOut.objects.create(librechat_user_id=str(gus), email="gus@example.com")
    run_due()
    spend_like_librechat(gus, 300_000)
    run_due()
    assert user_mails("gus@example.com") == []
    assert ThresholdState.objects.get(librechat_user_id=str(gus), threshold_credits=1_000_000).fired


def test_a_balance_that_is_not_a_number_is_counted_and_skipped(mongo):
    create_user("odd@example.com", float("nan"))
    create_user("text@example.com", "lots")
    result = check_low_balances(lambda crossing: None, full=True)
    assert result.invalid_balances == 2
    assert ThresholdState.objects.count() == 0


def test_between_daily_checks_only_users_with_new_transactions_are_read(mongo):
    quiet = create_user("quiet@example.com", 1_200_000)
    busy = create_user("busy@example.com", 1_200_000)
    run_due()
    # Another tool lowers the quiet user's balance without a transaction: seen only by the daily check.
    librechat_db().balances.update_one({"user": quiet}, {"$set": {"tokenCredits": 5}})
    spend_like_librechat(busy, 300_000)
    result = check_low_balances(lambda crossing: None)
    assert (result.full, result.users_checked) == (False, 1)
    state = CheckState.load()
    state.last_full_check_at = timezone.now() - timedelta(days=2)
    state.save()
    result = check_low_balances(lambda crossing: None)
    assert result.full and result.users_checked == 2


@pytest.mark.django_db(transaction=True, databases=["default", "librechat"])
def test_two_checks_at_once_mail_a_crossing_exactly_once(mongo):
    user_ids = [create_user(f"user{n}@example.com", 1_200_000) for n in range(20)]
    run_due()
    for user_id in user_ids:
        spend_like_librechat(user_id, 300_000)
    errors = []

    def check():
        try:
            check_low_balances(queue_low_balance_mail)
        except Exception as exc:  # pragma: no cover - shown by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=check) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Message.objects.filter(event="alerts.low_balance.user").count() == 20
