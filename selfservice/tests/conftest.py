import re
from datetime import UTC, datetime

import pytest
from django.core import mail
from django.core.management import call_command

from librechat.testing import create_user

LINK_PATTERN = re.compile(r"https?://\S+/me/link/[^/\s]+/")


@pytest.fixture(autouse=True)
def me_settings(settings):
    settings.ME_LINK_TTL_MINUTES = 15
    settings.ME_SESSION_HOURS = 12
    settings.ME_RATE_LIMIT_PER_IP_PER_HOUR = 10
    settings.ME_RATE_LIMIT_PER_EMAIL_PER_HOUR = 3
    settings.WEBHOOK_BASE_URL = "http://testserver"
    settings.NOTIFY_TO = ["ann@example.com"]
    settings.WEBHOOK_SECRET = "test-webhook-secret"
    settings.TRUST_PROXY = False
    settings.SESSION_COOKIE_SECURE = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


def run_worker() -> None:
    """What `manage.py ledger_worker` does in production: run the queued tasks and send the outbox."""
    call_command("ledger_worker", batch=True, verbosity=0)


def mails_to(address: str) -> list:
    """The mails sent to one address, once the worker has sent what is queued."""
    run_worker()
    return [message for message in mail.outbox if message.to == [address]]


def link_in(message) -> str:
    """The sign-in link of a mail, as a path on the test server."""
    return LINK_PATTERN.search(message.body).group(0).removeprefix("http://testserver")


def ask_for_link(client, email: str, **meta):
    return client.post("/me/", {"email": email}, **meta)


def sign_in(client, email: str) -> None:
    """Ask for a link and use it, as a user does."""
    ask_for_link(client, email)
    response = client.post(link_in(mails_to(email)[-1]))
    assert response.status_code == 302


def refilling_user(email: str):
    """A user refilled 2,000,000 credits every 30 days, last on 2026-11-20 08:30 UTC."""
    return create_user(
        email,
        10_000,
        autoRefillEnabled=True,
        refillAmount=2_000_000,
        refillIntervalValue=30,
        refillIntervalUnit="days",
        lastRefill=datetime(2026, 11, 20, 8, 30, tzinfo=UTC),
    )
