"""The outbox in the admin: a read-only list filtered by status and event, without bodies; resend."""

import pytest
from django.core import mail
from django.core.management import call_command

from outbox.models import Message
from outbox.queue import queue_message

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
LIST = "/admin/outbox/message/"


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def queue(event: str, **fields) -> Message:
    return queue_message(
        event=event, recipient="ann@example.com", subject="Credit request", body_text="secret-link-token", **fields
    )


def test_it_lists_and_filters_by_status_and_event(admin_client):
    queue("credit_request.admin")
    failed = queue("credit_request.requester")
    Message.objects.filter(pk=failed.pk).update(status=Message.Status.FAILED, last_error="SMTP down")
    page = admin_client.get(LIST, {"status__exact": "failed"})
    assert page.status_code == 200
    assert list(page.context["cl"].queryset) == [failed]
    assert list(admin_client.get(LIST, {"event": "credit_request.admin"}).context["cl"].queryset) != [failed]


def test_it_never_shows_the_body_and_cannot_be_edited(admin_client):
    message = queue("credit_request.admin", body_html="<a>secret-link-token</a>")
    for url in (LIST, f"{LIST}{message.pk}/change/"):
        response = admin_client.get(url)
        assert response.status_code == 200 and "secret-link-token" not in response.content.decode()
    assert admin_client.get(f"{LIST}add/").status_code == 403
    admin_client.post(f"{LIST}{message.pk}/change/", {"subject": "changed"})
    message.refresh_from_db()
    assert message.subject == "Credit request"


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_resend_queues_the_message_again(admin_client):
    message = queue("credit_request.admin")
    Message.objects.filter(pk=message.pk).update(status=Message.Status.FAILED, attempts=8, last_error="SMTP down")
    response = admin_client.post(LIST, {"action": "resend_messages", "_selected_action": [message.pk], "index": 0})
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("pending", 0, "")
    call_command("ledger_worker", batch=True, verbosity=0)
    assert [m.to for m in mail.outbox] == [["ann@example.com"]]


def test_a_viewer_sees_the_outbox_but_cannot_resend(viewer_client):
    message = queue("credit_request.admin")
    Message.objects.filter(pk=message.pk).update(status=Message.Status.FAILED)
    assert viewer_client.get(LIST).status_code == 200
    viewer_client.post(LIST, {"action": "resend_messages", "_selected_action": [message.pk], "index": 0})
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED


def test_an_operator_may_resend(operator_client):
    message = queue("credit_request.admin")
    Message.objects.filter(pk=message.pk).update(status=Message.Status.FAILED)
    response = operator_client.post(LIST, {"action": "resend_messages", "_selected_action": [message.pk], "index": 0})
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == Message.Status.PENDING
