"""Balance documents and transactions that LibreChat never writes but real databases hold."""

import io
import math

import pytest
from bson import Decimal128
from django.core.management import call_command

from ledger.changes import Kind, LedgerError, Target, change_one
from librechat.testing import create_user, credit_transactions

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
ODD_VALUES = {
    "text@example.com": "5000",
    "lots@example.com": "lots",
    "nan@example.com": math.nan,
    "inf@example.com": math.inf,
}


@pytest.fixture
def odd_users(mongo):
    users = {email: create_user(email, 0) for email in ODD_VALUES}
    for email, value in ODD_VALUES.items():
        mongo.balances.update_one({"user": users[email]}, {"$set": {"tokenCredits": value}})
    users["decimal@example.com"] = create_user("decimal@example.com", 0)
    mongo.balances.update_one({"user": users["decimal@example.com"]}, {"$set": {"tokenCredits": Decimal128("1500000")}})
    users["normal@example.com"] = create_user("normal@example.com", 2_000_000)
    mongo.transactions.insert_one({"user": users["normal@example.com"], "tokenType": "prompt", "tokenValue": math.nan})
    return users


def test_every_page_shows_odd_balances_as_invalid_instead_of_failing(admin_client, odd_users, mongo):
    pages = ["/admin/", "/admin/balances/balance/", "/admin/balances/librechatuser/", "/admin/balances/transaction/"]
    pages += [f"/admin/balances/librechatuser/{user_id}/change/" for user_id in odd_users.values()]
    balance_ids = [doc["_id"] for doc in mongo.balances.find({})]
    pages += [f"/admin/balances/balance/{balance_id}/change/" for balance_id in balance_ids]
    for page in pages:
        response = admin_client.get(page)
        assert response.status_code == 200, page
    balances_list = admin_client.get("/admin/balances/balance/").content.decode()
    assert "invalid: &#x27;lots&#x27;" in balances_list and "invalid: &#x27;nan&#x27;" in balances_list
    assert "1,500,000 ($1.50)" in balances_list, "Decimal128 is a number"
    overview = admin_client.get("/admin/").content.decode()
    assert "$3.50" in overview, "the index sums the numbers only: 2,000,000 + Decimal128 1,500,000"


@pytest.mark.parametrize("file_format", ["0", "1"])
def test_exports_and_list_balances_survive_odd_balances(admin_client, odd_users, file_format):
    response = admin_client.post("/admin/balances/balance/export/", {"format": file_format, "resource": "0"})
    assert response.status_code == 200
    out = io.StringIO()
    call_command("list_balances", "--format", "csv", stdout=out)
    assert "invalid: 'lots'" in out.getvalue() and "normal@example.com,Normal,USER,2000000" in out.getvalue()


@pytest.mark.parametrize("email", list(ODD_VALUES))
@pytest.mark.parametrize("kind", [Kind.ADD, Kind.SET])
def test_the_ledger_refuses_to_change_a_balance_that_is_not_a_number(odd_users, mongo, email, kind):
    with pytest.raises(LedgerError, match="not a number"):
        change_one(Target(odd_users[email], email), kind=kind, amount_credits=5, source="cli", actor="ops")
    assert credit_transactions(odd_users[email]) == []


def test_a_decimal128_balance_is_changed_like_any_number(odd_users, mongo):
    user = odd_users["decimal@example.com"]
    change = change_one(Target(user, "d"), kind=Kind.ADD, amount_credits=500_000, source="cli", actor="ops")
    assert (change.before_credits, change.after_credits) == (1_500_000, 2_000_000)
    change = change_one(Target(user, "d"), kind=Kind.SET, amount_credits=100, source="cli", actor="ops")
    assert change.delta_credits == -1_999_900
    assert mongo.balances.find_one({"user": user})["tokenCredits"] in (100, Decimal128("100"))
