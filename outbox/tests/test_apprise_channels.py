"""Chat and webhook targets through Apprise: a real HTTP round trip, retries, and no token ever stored."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import apprise
import pytest
from django.utils import timezone

from outbox.channels import apprise_targets, invalid_targets, masked
from outbox.models import Message
from outbox.queue import queue_on_every_target
from outbox.sending import send_due_messages

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


class Webhook:
    """A loopback HTTP server that records what is posted, answering 500 for the first `failures` posts."""

    def __init__(self, failures: int = 0):
        self.posts: list[dict] = []
        self.failures = failures
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if webhook.failures:
                    webhook.failures -= 1
                    self.send_response(500)
                else:
                    webhook.posts.append({"path": self.path, "body": json.loads(body)})
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"json://127.0.0.1:{self.server.server_port}/hooks/s3cr3t-token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook(settings):
    hook = Webhook()
    settings.NOTIFY_URLS = [f"ops={hook.url}"]
    yield hook
    hook.stop()


def send_all_due() -> None:
    Message.objects.filter(status=Message.Status.PENDING).update(next_attempt_at=timezone.now())
    send_due_messages()


def test_a_message_reaches_the_webhook_through_apprise(webhook):
    queue_on_every_target("alerts.test", "Low balances", "alice@example.com is at zero", dedupe_key="t1")
    send_due_messages()
    assert [post["body"]["title"] for post in webhook.posts] == ["Low balances"]
    assert webhook.posts[0]["body"]["message"] == "alice@example.com is at zero"
    assert webhook.posts[0]["path"] == "/hooks/s3cr3t-token"
    assert Message.objects.get().status == Message.Status.SENT


def test_the_outbox_stores_the_targets_name_never_its_url(webhook):
    queue_on_every_target("alerts.test", "Hi", "Hi", dedupe_key="t2")
    message = Message.objects.get()
    assert (message.channel, message.recipient) == ("apprise", "ops")
    assert "s3cr3t" not in json.dumps(list(Message.objects.values()), default=str)
    assert masked(webhook.url) == "json://127.0.0.1…"


def test_a_target_that_fails_twice_is_retried_until_it_answers(settings):
    hook = Webhook(failures=2)
    settings.NOTIFY_URLS = [f"ops={hook.url}"]
    settings.OUTBOX_MAX_ATTEMPTS = 5
    try:
        queue_on_every_target("alerts.test", "Retry", "body", dedupe_key="t3")
        send_due_messages()
        message = Message.objects.get()
        assert (message.status, message.attempts) == ("pending", 1)
        assert "did not accept" in message.last_error and "s3cr3t" not in message.last_error
        send_all_due()
        send_all_due()
        message.refresh_from_db()
        assert (message.status, message.attempts) == ("sent", 3)
        assert len(hook.posts) == 1
    finally:
        hook.stop()


def test_a_target_removed_from_the_settings_fails_with_a_clear_error(webhook, settings):
    queue_on_every_target("alerts.test", "Hi", "Hi", dedupe_key="t4")
    settings.NOTIFY_URLS = []
    send_due_messages()
    assert "No NOTIFY_URLS target named 'ops'" in Message.objects.get().last_error


def test_slack_and_teams_urls_are_understood_by_apprise(settings):
    settings.NOTIFY_URLS = [
        "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7F",
        "teams=workflows://prod-00.westus.logic.azure.com:443/abcdef0123456789abcdef0123456789/sigABCDEFGHIJKLMN",
        "broken=nosuchservice://x",
    ]
    assert list(apprise_targets()) == ["slack-1", "teams", "broken"]
    assert invalid_targets() == ["broken"]
    assert apprise.Apprise.instantiate(apprise_targets()["slack-1"]).service_name == "Slack"
