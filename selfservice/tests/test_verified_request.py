"""A signed-in user asks for credits from the statement: the request is marked verified, end to end over SMTP."""

import pytest

from librechat.testing import create_user, credits_of
from requests_app.models import CreditRequest
from selfservice.tests.conftest import LINK_PATTERN, ask_for_link, run_worker, sign_in

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


def plain_text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_a_signed_in_request_is_verified_mailed_approved_and_shown(client, mongo, smtp_server):
    alice = create_user("alice@example.com", 20_000)
    assert ask_for_link(client, "alice@example.com").status_code == 302
    assert smtp_server.envelopes == [], "the page only queues the mail"
    run_worker()
    [link_mail] = smtp_server.messages_to("alice@example.com")
    link = LINK_PATTERN.search(plain_text(link_mail)).group(0).removeprefix("http://testserver")
    assert client.post(link).status_code == 302

    response = client.post("/me/request/", {"reference": "JOB-3", "amount_wished": "5,000,000", "reason": "thesis"})
    assert response.status_code == 302 and response["Location"] == "/me/?requested=1#requests"
    credit_request = CreditRequest.objects.get()
    assert credit_request.email_verified and credit_request.amount_wished_credits == 5_000_000
    page = client.get(response["Location"]).content.decode()
    assert "Request sent" in page and "waiting for a decision" in page, "listed before the worker has run"

    run_worker()
    assert CreditRequest.objects.get().librechat_user_id == str(alice)
    [admin_mail] = smtp_server.messages_to("ann@example.com")
    text = plain_text(admin_mail)
    assert "Email verified: sent while signed in" in text
    assert "verified: sent while signed in" in admin_mail.get_body(preferencelist=("html",)).get_content()
    approve_url = next(line for line in text.splitlines() if "/request/decide/" in line and "/approve/" in line)
    assert client.post(approve_url.removeprefix("http://testserver")).status_code == 200
    assert credits_of(alice) == 5_020_000

    run_worker()
    [answer] = smtp_server.messages_to("alice@example.com")[1:]
    assert answer["Subject"] == "Your credit request was approved"
    assert "5,000,000 credits ($5.00) were added" in plain_text(answer)
    page = client.get("/me/").content.decode()
    assert "your credit request" in page and "approved" in page


def test_the_public_form_stays_unverified(client, mongo):
    create_user("alice@example.com", 20_000)
    response = client.post("/request/", {"email": "alice@example.com", "reference": "J", "reason": "x"})
    assert response.status_code == 302
    assert CreditRequest.objects.get().email_verified is False


def test_the_request_form_needs_a_session(client, mongo):
    create_user("alice@example.com", 20_000)
    response = client.post("/me/request/", {"reference": "J", "reason": "x"})
    assert response.status_code == 302 and response["Location"] == "/me/"
    assert CreditRequest.objects.count() == 0


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_a_bad_amount_is_shown_on_the_statement(client, mongo):
    create_user("alice@example.com", 20_000)
    sign_in(client, "alice@example.com")
    response = client.post("/me/request/", {"reference": "J", "amount_wished": "lots", "reason": "x"})
    page = response.content.decode()
    assert response.status_code == 400 and "There is a problem" in page and "My credits" in page
    assert CreditRequest.objects.count() == 0


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_requests_from_the_statement_are_rate_limited_per_email(client, mongo, settings):
    settings.REQUEST_RATE_LIMIT_PER_EMAIL_PER_HOUR = 1
    create_user("alice@example.com", 20_000)
    sign_in(client, "alice@example.com")
    fields = {"reference": "J", "amount_wished": "", "reason": "x"}
    assert client.post("/me/request/", fields).status_code == 302
    response = client.post("/me/request/", fields)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert CreditRequest.objects.count() == 1


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_the_admin_queue_shows_and_filters_verified_requests(client, admin_client, mongo):
    create_user("alice@example.com", 20_000)
    sign_in(client, "alice@example.com")
    client.post("/me/request/", {"reference": "VERIFIED-1", "reason": "x"})
    client.post("/request/", {"email": "alice@example.com", "reference": "ANON-1", "reason": "x"})
    page = admin_client.get("/admin/requests_app/creditrequest/?email_verified__exact=1").content.decode()
    assert "VERIFIED-1" in page and "ANON-1" not in page
    assert "email verified" in page  # shown under the email in the queue
