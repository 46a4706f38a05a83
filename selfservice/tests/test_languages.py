"""The public pages and the mails to LibreChat users in English and German; the admin stays English."""

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings

from librechat.testing import create_user
from requests_app import decisions
from requests_app.models import CreditRequest
from selfservice.tests.conftest import ask_for_link, mails_to, run_worker, sign_in

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
GERMAN = {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9,en;q=0.5"}
CATALOG = Path(settings.BASE_DIR) / "locale" / "de" / "LC_MESSAGES"


@pytest.fixture
def alice(mongo):
    return create_user("alice@example.com", 3_000_000)


def test_the_browsers_language_picks_german(client):
    response = client.get("/me/", **GERMAN)
    page = response.content.decode()
    assert response.status_code == 200 and response["Content-Language"] == "de"
    assert '<html lang="de">' in page and "Meine Credits" in page and "Anmeldelink per E-Mail senden" in page
    assert "Accept-Language" in response["Vary"]
    assert "Mail me a sign-in link" in client.get("/me/").content.decode()


def test_the_switcher_keeps_the_chosen_language(client):
    response = client.post("/i18n/setlang/", {"language": "de", "next": "/request/"})
    assert response.status_code == 302 and response["Location"] == "/request/"
    page = client.get("/request/").content.decode()
    assert "Mehr Credits anfragen" in page and "Gewünschte Credits" in page
    assert 'value="en" lang="en"' in page


def test_german_form_errors(client, mongo):
    response = client.post("/request/", {"email": "x", "amount_wished": "viel"}, **GERMAN)
    page = response.content.decode()
    assert response.status_code == 400 and "Es gibt ein Problem" in page
    assert "Der Betrag muss eine ganze Zahl" in page


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_the_sign_in_mail_is_in_the_askers_language(client, alice):
    ask_for_link(client, "alice@example.com", **GERMAN)
    ask_for_link(client, "nobody@example.com", **GERMAN)
    [link_mail] = mails_to("alice@example.com")
    assert link_mail.subject == "Ihr Anmeldelink für Ihre LibreChat-Credits"
    assert "Der Link funktioniert einmal, 15 Minuten lang." in link_mail.body
    assert "Öffnen Sie diesen Link" in link_mail.alternatives[0][0]
    [note] = mails_to("nobody@example.com")
    assert note.subject == "LibreChat-Credits: kein Konto gefunden"


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_the_statement_in_german(client, alice):
    sign_in(client, "alice@example.com")
    page = client.get("/me/?days=30", **GERMAN).content.decode()
    assert "Reserviert für laufende Anfragen" in page and "30 Tage" in page and "Automatische Aufladung" in page


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_the_decision_mail_follows_the_language_of_the_request(client, alice):
    sign_in(client, "alice@example.com")
    client.post("/me/request/", {"reference": "J", "amount_wished": "2,000,000", "reason": "x"}, **GERMAN)
    run_worker()  # links the request to Alice
    credit_request = CreditRequest.objects.get()
    assert credit_request.language == "de"
    # Decided by an English-speaking admin, outside the requester's request.
    decisions.reject(credit_request, note="Budget leer", decided_by="olga", channel=CreditRequest.Channel.ADMIN)
    [answer] = [message for message in mails_to("alice@example.com") if "Credit-Anfrage" in message.subject]
    assert answer.subject == "Ihre Credit-Anfrage wurde nicht genehmigt"
    assert "Die Administration schrieb:" in answer.body and "> Budget leer" in answer.body


def test_the_admin_stays_english_for_a_german_browser(client):
    page = client.get("/admin/login/", **GERMAN).content.decode()
    assert "Log in" in page and "Anmelden" not in page


def test_every_german_message_is_translated_and_compiled():
    po_text = (CATALOG / "django.po").read_text(encoding="utf-8")
    assert not re.search(r'^msgstr(\[\d\])? ""\n\n', po_text + "\n", re.M), "an untranslated message"
    assert "#, fuzzy" not in po_text.split("\n\n", 1)[1]
    with (CATALOG / "django.mo").open("rb") as compiled:
        catalog = gettext.GNUTranslations(compiled)
    pairs = re.findall(r'^msgid "(.+)"\nmsgstr "(.+)"$', po_text, re.M)
    assert len(pairs) > 50
    stale = [msgid for msgid, msgstr in pairs if catalog.gettext(msgid) != msgstr.replace('\\"', '"')]
    assert stale == [], "django.mo is older than django.po: run manage.py compilemessages"
