"""The admin's channel page: every configured channel, tokens masked, a test message per channel."""

import pytest
from django.contrib.auth.models import Group, User

from outbox.models import Message

pytestmark = pytest.mark.django_db

HOOK = "json://hooks.example.com/t/s3cr3t-token"


@pytest.fixture(autouse=True)
def channels(settings):
    settings.NOTIFY_TO = ["ops@example.com"]
    settings.NOTIFY_URLS = [f"ops-hook={HOOK}"]


def test_it_lists_every_channel_without_tokens(admin_client):
    response = admin_client.get("/admin/outbox/message/channels/")
    assert response.status_code == 200
    assert b"ops@example.com" in response.content and b"ops-hook" in response.content
    assert b"json://hooks.example.com" in response.content and b"s3cr3t" not in response.content


def test_it_queues_a_test_message_to_the_chosen_channel(admin_client):
    response = admin_client.post("/admin/outbox/message/channels/", {"recipient": "ops-hook"})
    assert response.status_code == 302
    message = Message.objects.get()
    assert (message.event, message.channel, message.recipient) == ("outbox.test", "apprise", "ops-hook")


def test_it_refuses_a_channel_that_is_not_configured(admin_client):
    response = admin_client.post("/admin/outbox/message/channels/", {"recipient": "json://attacker.example"})
    assert response.status_code == 302
    assert not Message.objects.exists()


def test_a_viewer_sees_the_channels_but_cannot_send(client):
    viewer = User.objects.create_user("vic", password="x", is_staff=True)
    viewer.groups.add(Group.objects.get(name="viewer"))
    client.force_login(viewer)
    page = client.get("/admin/outbox/message/channels/")
    assert page.status_code == 200 and b"Send a test message" not in page.content
    assert client.post("/admin/outbox/message/channels/", {"recipient": "ops-hook"}).status_code == 403
    assert not Message.objects.exists()
