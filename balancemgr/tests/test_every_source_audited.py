"""Every source that changes credits leaves exactly one complete audit row per user.

To cover a new source, add a function that changes alice's and bob's balance through it to SOURCES.
"""

import io

import pytest
from bson import ObjectId
from django.core.management import call_command

from audit.tests.test_csv_import import confirm, upload
from balances.tests.test_admin_actions import review_and_apply
from ledger.models import BalanceChange
from librechat.testing import create_user, credit_transactions

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


def through_admin_action(client, mongo, people):
    selected = [str(user_id) for user_id in people.values()]
    url = "/admin/balances/librechatuser/"
    response = review_and_apply(client, url, "top_up", selected, amount_preset="1000000", reason="r")
    assert response.status_code == 302


def through_csv_import(client, mongo, people):
    text = "email,amount,reason\nalice@example.com,1000000,r\nbob@example.com,1000000,r\n"
    response = confirm(client, upload(client, text))
    assert response.status_code == 302


def through_commands(client, mongo, people):
    call_command("add_balance", "alice@example.com", "1000000", "--reason", "r", stdout=io.StringIO())
    call_command("set_balance", "bob@example.com", "1000000", "--reason", "r", stdout=io.StringIO())


def through_bulk_command(client, mongo, people):
    args = ["--all", "--add", "1000000", "--reason", "r", "--yes"]
    call_command("bulk_topup", *args, stdout=io.StringIO(), stderr=io.StringIO())


def through_the_api(client, mongo, people):
    from api.tests.conftest import ADD_BALANCE, SET_BALANCE, issue_key, post_json

    key = issue_key("billing", ["read", "write"])
    add = {"email": "alice@example.com", "amount": 1_000_000, "reason": "r"}
    assert post_json(client, ADD_BALANCE, add, key).status_code == 200
    assert (
        post_json(
            client, SET_BALANCE, {"email": "bob@example.com", "amount": 1_000_000, "reason": "r"}, key
        ).status_code
        == 200
    )


def through_credit_requests(client, mongo, people):
    from requests_app.decisions import approve
    from requests_app.models import CreditRequest

    for name, user_id in people.items():
        request = CreditRequest.objects.create(
            email=f"{name}@example.com", librechat_user_id=str(user_id), reference="JOB-1", reason="r"
        )
        approve(request, amount_credits=1_000_000, decided_by="ann@example.com", channel="admin")


SOURCES = {
    "admin": through_admin_action,
    "import": through_csv_import,
    "cli": through_commands,
    "cli-bulk": through_bulk_command,
    "api": through_the_api,
    "request": through_credit_requests,
}


@pytest.mark.parametrize("source", SOURCES)
def test_each_source_writes_one_complete_audit_row_per_user(operator_client, mongo, source):
    people = {"alice": create_user("alice@example.com", 500), "bob": create_user("bob@example.com")}
    SOURCES[source](operator_client, mongo, people)
    for email, user_id in people.items():
        rows = list(BalanceChange.objects.filter(librechat_user_id=str(user_id)).select_related("batch"))
        assert len(rows) == 1, f"{source}: {email} has {len(rows)} audit rows"
        row = rows[0]
        assert row.batch.source == source.split("-")[0]
        # A credit request's reason also names the request and its reference.
        assert row.batch.actor and (row.reason or row.batch.reason).split("; ")[-1] == "r"
        assert row.email == f"{email}@example.com" and row.status == "applied"
        assert row.delta_credits is not None and row.after_credits == (row.before_credits or 0) + row.delta_credits
        assert row.after_credits == {"alice": 1_000_500, "bob": 1_000_000}[email]
        assert [str(t["_id"]) for t in credit_transactions(user_id)] == [row.transaction_id]
        assert ObjectId.is_valid(row.transaction_id)
