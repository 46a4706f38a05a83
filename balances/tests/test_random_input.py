"""Random text at every place an amount or a file enters: a message, never an exception."""

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from balances.credit_rows import read_credit_csv
from ledger.models import ChangeBatch
from librechat.testing import create_user

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
RANDOM_INPUT = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
amount_like = st.one_of(st.text(max_size=30), st.from_regex(r"-?[0-9,._²①]{0,25}", fullmatch=True))


@pytest.fixture
def alice(mongo):
    return create_user("alice@example.com", 100)


@RANDOM_INPUT
@given(value=amount_like)
def test_random_filter_values_never_fail(viewer_client, alice, value):
    for params in ({"credits_below": value}, {"credits": f"below_{value}"}, {"credits": value}):
        assert viewer_client.get("/admin/balances/balance/", params).status_code == 200


@RANDOM_INPUT
@given(text=st.text(max_size=300), mode=st.sampled_from(["add", "set"]))
def test_random_csv_files_give_targets_or_errors(alice, text, mode):
    targets, errors = read_credit_csv(io.StringIO(text), mode)
    assert targets or errors


@RANDOM_INPUT
@given(amount=amount_like, email=st.sampled_from(["alice@example.com", "ALICE@example.com", "=cmd|x", ""]))
def test_random_csv_rows_through_the_admin_import_never_fail(admin_client, alice, amount, email):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = f'email,amount\n{email},"{amount.replace(chr(34), "")}"\n'.encode()
    upload = SimpleUploadedFile("random.csv", content, content_type="text/csv")
    data = {"import_file": upload, "mode": "add"}
    assert admin_client.post("/admin/audit/importrow/import/", data, follow=True).status_code == 200
    assert not ChangeBatch.objects.exists(), "a preview applies nothing"
