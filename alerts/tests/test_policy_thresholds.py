"""Thresholds per credit policy, and crossings caused by a policy's own reset."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from alerts.models import PolicyThresholds, ThresholdState
from alerts.schedule import run_due
from alerts.tests.test_low_balance import spend_like_librechat, user_mails
from librechat.mongo import librechat_db
from librechat.testing import create_user
from outbox.models import Message
from policies.runs import run_due_policies
from policies.schedule import next_run
from policies.tests.helpers import make_policy

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


@pytest.fixture(autouse=True)
def alert_settings(settings):
    settings.LOW_BALANCE_THRESHOLDS = [1_000_000]
    settings.LOW_BALANCE_MAIL_USERS = True
    settings.NOTIFY_TO, settings.NOTIFY_URLS, settings.REPORT_SCHEDULE = [], [], []
    settings.ALERT_DIGEST_HOUR_UTC = 24


def test_a_policys_members_use_its_thresholds_others_the_global_ones(mongo):
    students = make_policy("Students", amount_credits=3_000_000, roles="", email_domains="uni.edu")
    PolicyThresholds.objects.create(policy=students, thresholds="25%, 0")
    student = create_user("sam@uni.edu", 1_500_000)
    staff = create_user("sue@example.com", 1_500_000)
    run_due()
    spend_like_librechat(student, 600_000)  # 900,000: above 25% of 3,000,000
    spend_like_librechat(staff, 600_000)  # 900,000: below the global 1,000,000
    run_due()
    assert user_mails("sam@uni.edu") == [] and len(user_mails("sue@example.com")) == 1
    spend_like_librechat(student, 1_000)
    librechat_db().balances.update_one({"user": student}, {"$set": {"tokenCredits": 700_000}})
    run_due()
    [mail] = user_mails("sam@uni.edu")
    assert "below 750,000" in mail.body_text  # 25% of the policy's 3,000,000
    assert ThresholdState.objects.filter(librechat_user_id=str(student)).count() == 1


def test_a_policy_reset_below_a_threshold_is_noticed(mongo):
    make_policy("Free tier", action="reset", amount_credits=500_000, roles="USER")
    create_user("fred@example.com", 3_000_000)
    run_due()
    run_due_policies(timezone.now())
    run_due()
    assert len(user_mails("fred@example.com")) == 1


def test_thresholds_must_be_credits_or_percentages():
    policy = make_policy("Odd")
    for text in ["lots", "120%", "-5"]:
        with pytest.raises(ValidationError):
            PolicyThresholds(policy=policy, thresholds=text).full_clean()
    assert PolicyThresholds(policy=policy, thresholds="1_000_000, 10%").credits() == [1_000_000, 500_000]


def test_the_user_mail_says_when_the_next_allowance_comes(mongo):
    policy = make_policy("Monthly", action="top_up_to", amount_credits=5_000_000, roles="USER")
    sam = create_user("sam@example.com", 1_200_000)
    run_due()
    spend_like_librechat(sam, 300_000)
    run_due()
    [mail] = user_mails("sam@example.com")
    upcoming = next_run(policy, timezone.now())
    assert f"Your next allowance comes on {upcoming:%Y-%m-%d %H:%M} UTC." in mail.body_text


def test_a_librechat_refill_counts_as_the_next_allowance(mongo):
    later = timezone.now() + timedelta(days=3)
    sam = create_user(
        "sam@example.com",
        1_200_000,
        autoRefillEnabled=True,
        refillAmount=1_000_000,
        refillIntervalValue=7,
        refillIntervalUnit="days",
        lastRefill=later - timedelta(days=7),
    )
    run_due()
    spend_like_librechat(sam, 300_000)
    run_due()
    [mail] = user_mails("sam@example.com")
    assert f"Your next allowance comes on {later:%Y-%m-%d %H:%M} UTC." in mail.body_text


def test_a_policys_channels_and_the_immediate_ones_hear_of_each_crossing_at_once(mongo, settings):
    settings.NOTIFY_URLS = ["students-hook=json://hooks.example.com/students"]
    settings.ALERT_IMMEDIATE_CHANNELS = ["ops@example.com"]
    students = make_policy("Students", amount_credits=3_000_000, roles="", email_domains="uni.edu")
    PolicyThresholds.objects.create(policy=students, thresholds="1000000", channels="students-hook, dean@uni.edu")
    sam, sue = create_user("sam@uni.edu", 1_200_000), create_user("sue@example.com", 1_200_000)
    run_due()
    spend_like_librechat(sam, 300_000)
    spend_like_librechat(sue, 300_000)
    run_due()
    told = sorted(
        (message.recipient, message.channel, "sam@uni.edu" in message.body_text)
        for message in Message.objects.filter(event="alerts.low_balance.admin")
    )
    assert told == [
        ("dean@uni.edu", "email", True),
        ("ops@example.com", "email", False),
        ("ops@example.com", "email", True),
        ("students-hook", "apprise", True),
    ]


def test_a_policys_channels_must_be_configured_targets_or_addresses(settings):
    settings.NOTIFY_URLS = ["ops=json://hooks.example.com/x"]
    policy = make_policy("Staff")
    with pytest.raises(ValidationError, match="Not a NOTIFY_URLS target or an address: slack"):
        PolicyThresholds(policy=policy, thresholds="0", channels="ops, slack").full_clean()
    PolicyThresholds(policy=policy, thresholds="0", channels="ops, boss@example.com").full_clean()
