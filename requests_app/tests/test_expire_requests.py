"""`manage.py expire_requests`: stale pending requests expire; decided ones and fresh ones stay."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from requests_app.models import CreditRequest
from requests_app.tests.conftest import pending_request

pytestmark = pytest.mark.django_db


def aged(hours: float, **fields) -> CreditRequest:
    credit_request = pending_request(**fields)
    CreditRequest.objects.filter(pk=credit_request.pk).update(created_at=timezone.now() - timedelta(hours=hours))
    return credit_request


def run(*args) -> str:
    out = StringIO()
    call_command("expire_requests", *args, stdout=out)
    return out.getvalue()


def statuses() -> list[str]:
    return list(CreditRequest.objects.order_by("id").values_list("status", flat=True))


def test_it_expires_pending_requests_older_than_the_link_lifetime():
    aged(73), aged(71), aged(100, status="approved")
    assert run() == "Expired 1 pending request older than 72 hours.\n"
    assert statuses() == ["expired", "pending", "approved"]
    expired = CreditRequest.objects.get(status="expired")
    assert (expired.decided_by, expired.channel) == ("expire_requests", "expiry") and expired.decided_at


def test_it_takes_the_age_from_the_option():
    aged(3), aged(1)
    assert "Expired 1 pending request older than 2 hours." in run("--older-than-hours", "2")
    assert statuses() == ["expired", "pending"]


def test_a_dry_run_only_counts():
    aged(3), aged(4)
    assert run("--older-than-hours", "2", "--dry-run") == "Would expire 2 pending requests older than 2 hours.\n"
    assert statuses() == ["pending", "pending"]


def test_it_refuses_a_negative_age():
    aged(3)
    with pytest.raises(CommandError, match="0 or more"):
        run("--older-than-hours", "-1")
    assert statuses() == ["pending"]


def test_an_expired_request_tells_a_later_click_so(client, settings):
    from requests_app import links

    settings.WEBHOOK_BASE_URL = "http://testserver"
    credit_request = aged(1)
    url = links.link_url(credit_request, links.APPROVE, "ann@example.com", 5_000_000).removeprefix("http://testserver")
    run("--older-than-hours", "0")
    response = client.post(url)
    assert response.status_code == 409 and "expired at" in response.content.decode()
    assert statuses() == ["expired"]
