import pytest
from django.core import mail
from django.core.management import call_command

from requests_app.intake import has_pending_request
from requests_app.models import CreditRequest

ADMINS = ["ann@example.com", "ben@example.com"]


@pytest.fixture(autouse=True)
def request_settings(settings):
    settings.NOTIFY_TO = ADMINS
    settings.WEBHOOK_SECRET = "test-webhook-secret"
    settings.WEBHOOK_BASE_URL = "http://testserver"
    settings.WEBHOOK_TTL_HOURS = 72
    settings.REQUEST_RATE_LIMIT_PER_IP_PER_HOUR = 10
    settings.REQUEST_RATE_LIMIT_PER_EMAIL_PER_HOUR = 3
    settings.REQUEST_APPROVE_PRESETS_CREDITS = [5_000_000, 10_000_000, 20_000_000]
    settings.REQUEST_NOTIFY_REQUESTER = True
    settings.APPROVAL_LINKS_REQUIRE_LOGIN = False
    settings.TRUST_PROXY = False
    return settings


def submit(client, meta: dict | None = None, **fields):
    """POST the public form with sensible defaults (`meta`: request headers and REMOTE_ADDR)."""
    data = {"email": "alice@example.com", "reference": "JOB-1", "amount_wished": "", "reason": "thesis runs"}
    return client.post("/request/", {**data, **fields}, **(meta or {}))


def pending_request(email="alice@example.com", user_id=None, **fields) -> CreditRequest:
    """A stored pending request, as the public page leaves it (without mailing anyone)."""
    fields = {"reference": "JOB-1", "reason": "thesis", **fields}
    fields.setdefault("is_duplicate", has_pending_request(email, fields.get("client_ip")))
    return CreditRequest.objects.create(email=email, librechat_user_id=str(user_id) if user_id else "", **fields)


def links_in(message) -> list[str]:
    """Every decision link in a mail's plain-text part, in order."""
    return [line for line in message.body.splitlines() if "/request/decide/" in line]


def link_parts(url: str) -> tuple[int, str, str]:
    """(request id, action, token) of a decision link."""
    request_id, action, token = url.split("/request/decide/")[1].strip("/").split("/")
    return int(request_id), action, token


def outbox_to(address: str) -> list:
    return [message for message in mail.outbox if message.to == [address]]


def run_worker() -> None:
    """What `manage.py ledger_worker` does in production: compose the admin mails and send the outbox."""
    call_command("ledger_worker", batch=True, verbosity=0)
