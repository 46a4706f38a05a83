"""Random strings, sizes and encodings at the public form and the decision links: no 500, no change when invalid."""

from urllib.parse import quote

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from librechat.credits import parse_credits
from librechat.testing import create_user, credit_transactions, credits_of
from requests_app import links
from requests_app.models import CreditRequest
from requests_app.tests.conftest import pending_request

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
any_text = st.one_of(
    st.text(max_size=60),
    st.text(min_size=200, max_size=1200),
    st.sampled_from(["", " ", "0", "-1", "1e9", "5,000,000", "9" * 40, "a@b.c", "\x00", "\u202e", "<script>"]),
)


@pytest.fixture
def alice(mongo, request_settings):
    request_settings.REQUEST_RATE_LIMIT_PER_IP_PER_HOUR = 0
    request_settings.REQUEST_RATE_LIMIT_PER_EMAIL_PER_HOUR = 0
    return create_user("alice@example.com", 20_000)


@FUZZ
@given(email=any_text, reference=any_text, amount=any_text, reason=any_text, website=st.sampled_from(["", "x"]))
def test_the_public_form_answers_every_input(client, alice, email, reference, amount, reason, website):
    before = CreditRequest.objects.count()
    mail.outbox.clear()
    fields = {"email": email, "reference": reference, "amount_wished": amount, "reason": reason, "website": website}
    response = client.post("/request/", fields)
    assert response.status_code in (302, 400)
    stored = CreditRequest.objects.count() - before
    if response.status_code == 400 or website:
        assert stored == 0 and mail.outbox == []
    else:
        assert stored == 1
    assert credits_of(alice) == 20_000


@FUZZ
@given(body=st.binary(max_size=400), charset=st.sampled_from(["utf-8", "latin-1", "utf-16", "bogus"]))
def test_the_public_form_survives_any_bytes_in_any_encoding(client, alice, body, charset):
    before = CreditRequest.objects.count()
    response = client.generic(
        "POST", "/request/", body, content_type=f"application/x-www-form-urlencoded; charset={charset}"
    )
    assert response.status_code in (302, 400)
    assert CreditRequest.objects.count() - before <= (1 if response.status_code == 302 else 0)


@FUZZ
@given(request_id=st.integers(min_value=-(2**70), max_value=2**70), action=any_text, token=any_text)
def test_made_up_links_change_nothing(client, alice, request_id, action, token):
    credit_request = pending_request(user_id=alice)
    for target_id in (request_id, credit_request.pk):
        url = f"/request/decide/{quote(str(target_id), safe='-')}/{quote(action, safe='')}/{quote(token, safe='')}/"
        for response in (client.get(url), client.post(url, {"amount": token, "note": action})):
            assert response.status_code in (400, 404)
    credit_request.refresh_from_db()
    assert credit_request.status == "pending"
    assert credits_of(alice) == 20_000 and credit_transactions(alice) == []


@FUZZ
@given(amount=any_text)
def test_a_custom_link_credits_only_a_valid_amount(client, alice, amount):
    # The examples share the database: an earlier example's pending request would make this one a duplicate.
    CreditRequest.objects.filter(status="pending").delete()
    credit_request = pending_request(user_id=alice)
    url = links.link_url(credit_request, links.CUSTOM, "ann@example.com").removeprefix("http://testserver")
    before = credits_of(alice)
    response = client.post(url, {"amount": amount})
    try:
        expected = parse_credits(amount, minimum_credits=1) if len(amount) <= 40 else None
    except ValidationError:
        expected = None
    credit_request.refresh_from_db()
    if expected is None:
        assert response.status_code == 400 and credit_request.status == "pending"
        assert credits_of(alice) == before
    else:
        assert response.status_code == 200 and credit_request.status == "approved"
        assert credits_of(alice) == before + expected
