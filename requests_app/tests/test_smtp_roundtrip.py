"""A real SMTP round trip: the admin mail goes through Django's SMTP backend to a local server, and its link credits."""

from email import message_from_bytes, policy

import pytest

from librechat.testing import create_user, credits_of
from requests_app.models import CreditRequest
from requests_app.tests.conftest import ADMINS, run_worker, submit

pytestmark = pytest.mark.django_db(databases=["default", "librechat"], transaction=True)


def test_the_mailed_approve_link_credits_the_user(client, mongo, smtp_server):
    alice = create_user("alice@example.com", 20_000)
    assert submit(client, reference="JOB-9").status_code == 302
    assert smtp_server.envelopes == [], "the request only queues the mail"
    run_worker()
    assert sorted(rcpt for envelope in smtp_server.envelopes for rcpt in envelope.rcpt_tos) == ADMINS

    envelope = next(e for e in smtp_server.envelopes if e.rcpt_tos == ["ann@example.com"])
    message = message_from_bytes(envelope.original_content, policy=policy.default)
    assert message["Subject"] == "Credit request from alice@example.com (JOB-9)"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    approve_url = next(line for line in text.splitlines() if "/request/decide/" in line and "/approve/" in line)
    assert approve_url in html

    path = approve_url.removeprefix("http://testserver")
    assert client.get(path).status_code == 200
    assert credits_of(alice) == 20_000
    assert client.post(path).status_code == 200
    assert credits_of(alice) == 5_020_000
    credit_request = CreditRequest.objects.get()
    assert (credit_request.status, credit_request.decided_by) == ("approved", "ann@example.com")
    assert CreditRequest.objects.get().notified_at is not None
