"""The public request page: validation, honeypot, the neutral answer, duplicates, rate limits."""

import pytest
from django.core import mail
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from librechat.testing import create_user
from outbox.models import Message
from requests_app import intake
from requests_app.models import CreditRequest
from requests_app.tests.conftest import ADMINS, pending_request, run_worker, submit
from web.models import RateLimitWindow

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


@pytest.fixture
def alice(mongo):
    return create_user("alice@example.com", 20_000)


def test_it_shows_the_form_without_login(client, settings):
    settings.REQUEST_REFERENCE_LABEL = "Cost centre"
    response = client.get("/request/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in page and 'name="website"' in page
    assert '<label for="id_reference">Cost centre' in page
    assert "style=" not in page and "<script" not in page


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_it_stores_a_request_and_mails_each_admin(client, alice):
    response = submit(client, amount_wished="5,000,000")
    assert response.status_code == 302 and response["Location"] == "/request/sent/"
    credit_request = CreditRequest.objects.get()
    assert (credit_request.reference, credit_request.amount_wished_credits) == ("JOB-1", 5_000_000)
    assert credit_request.client_ip == "127.0.0.1" and credit_request.status == "pending"
    assert mail.outbox == [] and credit_request.notified_at is None, "the worker mails, not the request"
    assert credit_request.librechat_user_id == "", "the worker looks the email up, not the request"
    run_worker()
    credit_request.refresh_from_db()
    assert credit_request.librechat_user_id == str(alice)
    assert sorted(message.to[0] for message in mail.outbox) == ADMINS
    assert credit_request.notified_at is not None and credit_request.notify_error == ""
    assert "What happens next" in client.get(response["Location"]).content.decode()


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_it_lowercases_the_email(client, alice):
    submit(client, email="  Alice@Example.COM ")
    run_worker()
    assert CreditRequest.objects.get().librechat_user_id == str(alice)


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_unknown_emails_get_the_same_answer_and_are_stored_but_not_mailed(client, mongo):
    response = submit(client, email="nobody@example.com")
    assert response.status_code == 302 and response["Location"] == "/request/sent/"
    run_worker()
    credit_request = CreditRequest.objects.get()
    assert credit_request.librechat_user_id == "" and credit_request.email == "nobody@example.com"
    assert mail.outbox == [] and not Message.objects.exists()


def test_a_known_and_an_unknown_email_cost_the_page_the_same_work(client, alice):
    """The page's timing must not tell who has an account: same queries, same queued work, no mail sent."""

    def work_of_one_post(email: str) -> tuple[int, int, int, int]:
        with CaptureQueriesContext(connections["default"]) as queries:
            assert submit(client, email=email).status_code == 302
        tasks, messages = DBTaskResult.objects.count(), Message.objects.count()
        DBTaskResult.objects.all().delete()
        return len(queries), tasks, messages, len(mail.outbox)

    work_of_one_post("carol@example.com")  # opens this address's rate-limit window for both
    assert work_of_one_post("alice@example.com") == work_of_one_post("nobody@example.com")
    assert work_of_one_post("alice@example.com")[2:] == (0, 0), "nothing queued or sent in the request itself"


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_a_second_request_while_one_is_pending_is_a_duplicate_and_not_mailed(client, alice):
    submit(client)
    run_worker()
    mail.outbox.clear()
    response = submit(client, reason="again")
    assert response.status_code == 302 and response["Location"] == "/request/sent/"
    assert list(CreditRequest.objects.order_by("id").values_list("is_duplicate", flat=True)) == [False, True]
    run_worker()
    assert mail.outbox == []


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_a_strangers_pending_request_does_not_silence_the_owners(client, alice):
    submit(client, reason="give me money", meta={"REMOTE_ADDR": "192.0.2.66"})
    response = submit(client, reason="thesis runs", meta={"REMOTE_ADDR": "192.0.2.1"})
    assert response.status_code == 302
    rows = CreditRequest.objects.order_by("id").values_list("client_ip", "is_duplicate")
    assert list(rows) == [("192.0.2.66", False), ("192.0.2.1", False)]
    run_worker()
    assert sorted(message.to[0] for message in mail.outbox) == sorted(ADMINS * 2)
    owners_mail = next(message for message in mail.outbox if "thesis runs" in message.body)
    assert "Other pending requests for this email: 1" in owners_mail.body


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_of_two_requests_sent_at_the_same_moment_only_one_is_mailed(client, alice, monkeypatch):
    # The other worker stored its request after this one checked for a pending request.
    monkeypatch.setattr(intake, "has_pending_request", lambda email, client_ip: False)
    pending_request(reason="the other one", client_ip="127.0.0.1")
    response = submit(client)
    assert response.status_code == 302 and response["Location"] == "/request/sent/"
    rows = CreditRequest.objects.order_by("id").values_list("reason", "is_duplicate")
    assert list(rows) == [("the other one", False), ("thesis runs", True)]
    run_worker()
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"email": ""}, "email", "This field is required."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"email": "a" * 250 + "@example.com"}, "email", "at most 254 characters"),
        ({"reference": "x" * 101}, "reference", "at most 100 characters"),
        ({"reason": "x" * 1001}, "reason", "at most 1000 characters"),
        ({"amount_wished": "5.5"}, "amount_wished", "whole number of credits"),
        ({"amount_wished": "0"}, "amount_wished", "at least 1 credits"),
        ({"amount_wished": "99999999999"}, "amount_wished", "at most"),
        ({"reason": "null\x00byte"}, "reason", "Null characters are not allowed."),
    ],
)
def test_it_refuses_bad_input_with_a_message_and_stores_nothing(client, alice, fields, field, message):
    response = submit(client, **fields)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    page = response.content.decode()
    assert "There is a problem" in page and f'href="#id_{field}"' in page
    assert not CreditRequest.objects.exists() and mail.outbox == []


def test_a_required_reference_must_be_given(client, alice, settings):
    settings.REQUEST_REFERENCE_REQUIRED = True
    response = submit(client, reference="")
    assert response.status_code == 400 and "reference" in response.context["form"].errors
    assert not CreditRequest.objects.exists()


def test_a_filled_honeypot_gets_the_neutral_answer_and_nothing_is_stored(client, alice):
    response = submit(client, website="http://spam.example")
    assert response.status_code == 302 and response["Location"] == "/request/sent/"
    assert not CreditRequest.objects.exists() and mail.outbox == []


def test_it_requires_csrf(alice):
    from django.test import Client

    response = submit(Client(enforce_csrf_checks=True))
    assert response.status_code == 403
    assert not CreditRequest.objects.exists()


def test_it_limits_requests_per_ip(client, alice, settings):
    settings.REQUEST_RATE_LIMIT_PER_IP_PER_HOUR = 2
    settings.REQUEST_RATE_LIMIT_PER_EMAIL_PER_HOUR = 0
    assert [submit(client, email=f"u{n}@example.com").status_code for n in range(2)] == [302, 302]
    mail.outbox.clear()
    response = submit(client, email="alice@example.com")
    assert response.status_code == 429 and "Too many requests" in response.content.decode()
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert CreditRequest.objects.count() == 2


def test_invalid_posts_do_not_count_against_the_address(client, alice, settings):
    settings.REQUEST_RATE_LIMIT_PER_IP_PER_HOUR = 2
    for _ in range(5):
        assert submit(client, email="not-an-email").status_code == 400
        assert submit(client, website="http://spam.example").status_code == 302
    assert submit(client).status_code == 302
    assert CreditRequest.objects.count() == 1


def test_the_too_many_requests_page_keeps_what_was_typed_and_says_when(client, alice, settings):
    settings.REQUEST_RATE_LIMIT_PER_EMAIL_PER_HOUR = 1
    submit(client)
    response = submit(client, reference="JOB-77", reason="my long explanation")
    page = response.content.decode()
    assert response.status_code == 429 and 1 <= int(response["Retry-After"]) <= 3600
    assert "Too many requests" in page and "Please try again in" in page and "(after " in page
    assert 'value="JOB-77"' in page and "my long explanation" in page and 'value="alice@example.com"' in page
    assert CreditRequest.objects.count() == 1


def test_it_limits_requests_per_email_from_one_address(client, alice, settings):
    settings.REQUEST_RATE_LIMIT_PER_EMAIL_PER_HOUR = 1
    assert submit(client, meta={"REMOTE_ADDR": "192.0.2.1"}).status_code == 302
    response = submit(client, email="ALICE@example.com", meta={"REMOTE_ADDR": "192.0.2.1"})
    assert response.status_code == 429
    assert CreditRequest.objects.count() == 1


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_strangers_cannot_use_up_the_owners_allowance(client, alice, settings):
    settings.REQUEST_RATE_LIMIT_PER_EMAIL_PER_HOUR = 3
    stranger = {"REMOTE_ADDR": "192.0.2.66"}
    assert [submit(client, meta=stranger).status_code for _ in range(4)] == [302, 302, 302, 429]
    assert submit(client, meta={"REMOTE_ADDR": "192.0.2.1"}).status_code == 302
    owners = CreditRequest.objects.get(client_ip="192.0.2.1")
    assert owners.is_duplicate is False
    run_worker()
    assert any(str(owners.pk) in message.body for message in mail.outbox), "the owner's request reaches the admins"


def test_it_ignores_x_forwarded_for_unless_the_proxy_is_trusted(client, alice, settings):
    settings.REQUEST_RATE_LIMIT_PER_IP_PER_HOUR = 1
    settings.REQUEST_RATE_LIMIT_PER_EMAIL_PER_HOUR = 0
    submit(client, meta={"HTTP_X_FORWARDED_FOR": "198.51.100.1"})
    # Without TRUST_PROXY a forged header cannot get around the limit on the real address.
    assert submit(client, meta={"HTTP_X_FORWARDED_FOR": "198.51.100.2"}).status_code == 429
    assert list(CreditRequest.objects.values_list("client_ip", flat=True)) == ["127.0.0.1"]


def test_with_a_trusted_proxy_it_uses_the_address_the_proxy_added(client, alice, settings):
    settings.TRUST_PROXY = True
    settings.REQUEST_RATE_LIMIT_PER_EMAIL_PER_HOUR = 0
    submit(client, meta={"HTTP_X_FORWARDED_FOR": "203.0.113.9, 198.51.100.7"})
    assert CreditRequest.objects.get().client_ip == "198.51.100.7"
    assert RateLimitWindow.objects.filter(key="request-ip:198.51.100.7").exists()


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_an_unreachable_librechat_database_does_not_lose_the_request(client, unreachable_mongo):
    response = submit(client)
    assert response.status_code == 302 and response["Location"] == "/request/sent/"
    run_worker()
    credit_request = CreditRequest.objects.get()
    assert credit_request.notify_error.startswith("LibreChat's MongoDB:") and mail.outbox == []
    assert DBTaskResult.objects.filter(status="READY", task_path__endswith="identify_and_notify_admins").exists()


def test_a_link_from_a_low_balance_mail_fills_in_the_email_escaped(client):
    response = client.get("/request/", {"email": 'alice@example.com"><script>'})
    assert response.status_code == 200
    assert 'value="alice@example.com&quot;&gt;&lt;script&gt;"' in response.content.decode()
    assert not CreditRequest.objects.exists()
