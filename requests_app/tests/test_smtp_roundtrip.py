"""A real SMTP round trip: the admin mail goes through Django's SMTP backend to a local server, and its link credits."""

from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from librechat.embedded_mongo import free_port
from librechat.testing import create_user, credits_of
from requests_app.models import CreditRequest
from requests_app.tests.conftest import ADMINS, run_worker, submit

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


class Mailbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"


@pytest.fixture
def smtp_server(settings):
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield mailbox
    controller.stop()


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
