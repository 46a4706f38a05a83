"""Signing in to /me/ by a mailed single-use link: the link, its expiry and reuse, and enumeration."""

import re
import threading
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.test import Client

from librechat.testing import create_user
from outbox.models import Message
from selfservice import signin
from selfservice.models import SignInLink, StatementSession
from selfservice.tests.conftest import ask_for_link, link_in, mails_to, sign_in

pytestmark = pytest.mark.django_db(databases=["default", "librechat"], transaction=True)


@pytest.fixture
def alice(mongo):
    return create_user("alice@example.com", 2_000_000, name="Alice")


def test_it_shows_the_sign_in_form(client):
    response = client.get("/me/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="email"' in page and "Mail me a sign-in link" in page
    assert "style=" not in page and "<script" not in page


def test_it_mails_a_link_that_shows_a_continue_button_and_signs_in_on_post(client, alice):
    response = ask_for_link(client, "Alice@Example.com ")
    assert response.status_code == 302 and response["Location"] == "/me/sent/"
    [message] = mails_to("alice@example.com")
    assert message.subject == "Your sign-in link for your LibreChat credits"
    path = link_in(message)
    assert path in message.alternatives[0][0]

    response = client.get(path)
    assert response.status_code == 200 and "Continue" in response.content.decode()
    assert SignInLink.objects.get().used_at is None and signin.COOKIE_NAME not in response.cookies

    response = client.post(path)
    assert response.status_code == 302 and response["Location"] == "/me/"
    cookie = response.cookies[signin.COOKIE_NAME]
    assert cookie["path"] == "/me/" and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["max-age"] == 12 * 3600
    session = StatementSession.objects.get()
    assert (session.email, session.librechat_user_id) == ("alice@example.com", str(alice))
    assert "Signed in as alice@example.com" in client.get("/me/").content.decode()


def test_the_cookie_is_secure_when_the_request_is(client, alice):
    ask_for_link(client, "alice@example.com")
    response = client.post(link_in(mails_to("alice@example.com")[0]), secure=True)
    assert response.status_code == 302 and response.cookies[signin.COOKIE_NAME]["secure"]


def test_a_link_works_once(client, alice):
    ask_for_link(client, "alice@example.com")
    path = link_in(mails_to("alice@example.com")[0])
    assert client.post(path).status_code == 302
    other = Client()
    response = other.post(path)
    assert response.status_code == 410 and "already used" in response.content.decode()
    assert signin.COOKIE_NAME not in response.cookies
    assert other.get(path).status_code == 410
    assert StatementSession.objects.count() == 1


def test_an_expired_link_is_refused(client, alice, settings):
    ask_for_link(client, "alice@example.com")
    path = link_in(mails_to("alice@example.com")[0])
    settings.ME_LINK_TTL_MINUTES = -1
    response = client.post(path)
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert StatementSession.objects.count() == 0 and SignInLink.objects.get().used_at is None


def test_a_tampered_link_is_refused(client, alice):
    ask_for_link(client, "alice@example.com")
    path = link_in(mails_to("alice@example.com")[0])
    tampered = path[:-6] + ("A" if path[-6] != "A" else "B") + path[-5:]
    for changed in (tampered, "/me/link/not-a-token/", path.replace("/me/link/", "/me/link/x")):
        response = client.post(changed)
        assert response.status_code == 400 and "not valid" in response.content.decode()
    assert StatementSession.objects.count() == 0


def test_a_link_signed_for_another_email_is_refused(client, alice, mongo):
    create_user("bob@example.com", 0)
    ask_for_link(client, "bob@example.com")
    bobs_nonce = SignInLink.objects.get().nonce
    # Even a validly signed token cannot pair Alice's address with Bob's nonce.
    token = signing.dumps({"e": "alice@example.com", "n": bobs_nonce}, salt=signin.LINK_SALT)
    assert client.post(f"/me/link/{token}/").status_code == 400
    # Nor is a token signed for another purpose accepted.
    token = signing.dumps({"e": "bob@example.com", "n": bobs_nonce}, salt="requests_app.decision-link")
    assert client.post(f"/me/link/{token}/").status_code == 400
    assert StatementSession.objects.count() == 0


def test_a_link_stops_working_when_the_account_changes_its_email(client, alice, mongo):
    ask_for_link(client, "alice@example.com")
    mongo.users.update_one({"_id": alice}, {"$set": {"email": "alice@new.example.com"}})
    assert client.post(link_in(mails_to("alice@example.com")[0])).status_code == 400
    assert StatementSession.objects.count() == 0


def test_a_link_opened_twice_at_once_signs_in_once(alice):
    ask_for_link(Client(), "alice@example.com")
    path = link_in(mails_to("alice@example.com")[0])
    statuses = []
    barrier = threading.Barrier(2)

    def open_it():
        client = Client()
        barrier.wait()
        statuses.append(client.post(path).status_code)

    threads = [threading.Thread(target=open_it) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [302, 410]
    assert StatementSession.objects.count() == 1


def test_known_and_unknown_addresses_get_the_same_page_and_one_mail_each(client, alice):
    known = ask_for_link(client, "alice@example.com")
    unknown = ask_for_link(client, "nobody@example.com")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert without_csrf_token(client.get(known["Location"])) == without_csrf_token(client.get(unknown["Location"]))
    queued = Message.objects.filter(event="selfservice.sign_in")
    assert queued.filter(recipient="alice@example.com").count() == queued.filter(recipient="nobody@example.com").count()
    assert mail.outbox == [], "queued for the worker, not sent in the request"
    assert len(mails_to("alice@example.com")) == len(mails_to("nobody@example.com")) == 1
    assert SignInLink.objects.filter(email="nobody@example.com", librechat_user_id="").count() == 1
    [note] = mails_to("nobody@example.com")
    assert "/me/link/" not in note.body and "no single LibreChat account" in note.body


def without_csrf_token(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def test_an_address_shared_by_two_accounts_gets_no_link(client, mongo):
    create_user("twin@example.com", 0)
    create_user("Twin@example.com", 0)
    assert ask_for_link(client, "twin@example.com").status_code == 302
    [note] = mails_to("twin@example.com")
    assert "/me/link/" not in note.body


def test_a_bad_address_is_a_form_error(client, mongo):
    response = client.post("/me/", {"email": "not an address"})
    assert response.status_code == 400 and "Enter a valid email address" in response.content.decode()
    assert mail.outbox == [] and SignInLink.objects.count() == 0


def test_asking_is_limited_per_address_the_same_for_known_and_unknown(client, alice, settings):
    settings.ME_RATE_LIMIT_PER_EMAIL_PER_HOUR = 2
    for email in ("alice@example.com", "nobody@example.com"):
        assert [ask_for_link(client, email).status_code for _ in range(3)] == [302, 302, 429]
        assert len(mails_to(email)) == 2
    response = ask_for_link(client, "alice@example.com")
    assert "Too many requests" in response.content.decode() and int(response["Retry-After"]) > 0


def test_asking_is_limited_per_client_address(client, alice, settings):
    settings.ME_RATE_LIMIT_PER_IP_PER_HOUR = 2
    emails = ["a@example.com", "b@example.com", "alice@example.com"]
    assert [ask_for_link(client, email).status_code for email in emails] == [302, 302, 429]
    assert mails_to("alice@example.com") == []
    assert ask_for_link(client, "alice@example.com", REMOTE_ADDR="10.0.0.9").status_code == 302


def test_signing_out_ends_the_session_even_for_a_kept_cookie(client, alice):
    sign_in(client, "alice@example.com")
    kept = client.cookies[signin.COOKIE_NAME].value
    response = client.post("/me/sign-out/")
    assert response.status_code == 302 and response.cookies[signin.COOKIE_NAME].value == ""
    assert StatementSession.objects.count() == 0
    other = Client()
    other.cookies[signin.COOKIE_NAME] = kept
    assert "Mail me a sign-in link" in other.get("/me/").content.decode()


def test_a_session_ends_after_me_session_hours(client, alice):
    sign_in(client, "alice@example.com")
    StatementSession.objects.update(expires_at=StatementSession.objects.get().expires_at - timedelta(hours=13))
    assert "Mail me a sign-in link" in client.get("/me/").content.decode()


def test_a_link_survives_an_unreachable_librechat(client, alice, unreachable_mongo):
    link = SignInLink.objects.create(nonce="n" * 43, email="alice@example.com", librechat_user_id=str(alice))
    response = client.post(signin.link_url(link).removeprefix("http://testserver"))
    assert response.status_code == 503
    assert SignInLink.objects.get().used_at is None
