"""The amount to grant: the requester's wish preselected, and a preset with a different typed amount
refused (what a browser without JavaScript posts), in the admin queue and on the mailed custom link."""

import re

import pytest

from ledger.models import ChangeBatch
from librechat.testing import create_user, credits_of
from requests_app import links
from requests_app.tests.conftest import pending_request

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
QUEUE = "/admin/requests_app/creditrequest/"


@pytest.fixture
def alice(mongo):
    return create_user("alice@example.com", 20_000)


def approve(client, credit_request, **fields):
    data = {"action": "approve", "_selected_action": [credit_request.pk], "index": 0, **fields}
    return client.post(QUEUE, data)


def checked_preset(html: str) -> str:
    [value] = re.findall(r'<input type="radio" name="amount_preset" value="([^"]*)"[^>]*checked', html)
    return value


def typed_amount(html: str) -> str:
    return re.search(r'<input type="text" name="amount"(?: value="([^"]*)")?', html).group(1) or ""


@pytest.mark.parametrize(
    ("wished", "preset", "typed"),
    [(None, "5000000", ""), (10_000_000, "10000000", ""), (7_500_000, "custom", "7,500,000")],
)
def test_the_approve_page_preselects_the_amount_the_requester_wished(operator_client, alice, wished, preset, typed):
    credit_request = pending_request(user_id=alice, amount_wished_credits=wished)
    html = approve(operator_client, credit_request).content.decode()
    assert (checked_preset(html), typed_amount(html)) == (preset, typed)


def test_requests_that_wished_different_amounts_start_from_the_first_preset(operator_client, alice):
    first = pending_request(user_id=alice, amount_wished_credits=7_500_000)
    second = pending_request(user_id=alice, amount_wished_credits=2_000_000)
    data = {"action": "approve", "_selected_action": [first.pk, second.pk], "index": 0}
    html = operator_client.post(QUEUE, data).content.decode()
    assert (checked_preset(html), typed_amount(html)) == ("5000000", "")


def test_a_preset_with_a_different_typed_amount_is_refused_not_guessed(operator_client, alice):
    credit_request = pending_request(user_id=alice)
    response = approve(operator_client, credit_request, step="decide", amount_preset="5000000", amount="7,500,000")
    assert response.status_code == 200
    assert "Choose &quot;custom amount&quot; to use the typed amount" in response.content.decode()
    credit_request.refresh_from_db()
    assert credit_request.status == "pending" and credits_of(alice) == 20_000
    assert not ChangeBatch.objects.exists()


def test_a_preset_with_the_same_amount_typed_grants_it(operator_client, alice):
    credit_request = pending_request(user_id=alice)
    response = approve(operator_client, credit_request, step="decide", amount_preset="5000000", amount="5,000,000")
    assert response.status_code == 302
    assert credits_of(alice) == 5_020_000


def test_a_preset_that_is_not_offered_is_refused(operator_client, alice):
    credit_request = pending_request(user_id=alice)
    response = approve(operator_client, credit_request, step="decide", amount_preset="999999999")
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert credits_of(alice) == 20_000


def test_the_mailed_custom_link_starts_from_the_wished_amount(client, alice):
    credit_request = pending_request(user_id=alice, amount_wished_credits=7_500_000)
    url = links.link_url(credit_request, links.CUSTOM, "ann@example.com").removeprefix("http://testserver")
    assert typed_amount(client.get(url).content.decode()) == "7,500,000"


def test_the_custom_link_labels_its_amount_field(client, alice):
    credit_request = pending_request(user_id=alice)
    url = links.link_url(credit_request, links.CUSTOM, "ann@example.com").removeprefix("http://testserver")
    html = client.get(url).content.decode()
    assert '<label for="id_amount_1">Credits to grant' in html and 'name="amount"' in html
    assert re.search(r'<input type="text" name="amount"[^>]* id="id_amount_1"', html)
