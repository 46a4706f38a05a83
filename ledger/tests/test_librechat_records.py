"""Balances and transactions the ledger creates look like LibreChat's: keyed by user, in the user's tenant."""

import pytest

from ledger import changes as ledger
from ledger import writes
from ledger.changes import Kind, Target
from librechat.queries import earliest_balances
from librechat.testing import balance_documents, create_user, credit_transactions

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


def change(user_id, kind, amount, email="alice@example.com"):
    return ledger.change_one(Target(user_id, email), kind=kind, amount_credits=amount, source="cli", actor="ops")


@pytest.mark.parametrize("kind", [Kind.ADD, Kind.SET, Kind.TOP_UP_TO])
def test_it_creates_a_missing_balance_keyed_by_the_user_id(mongo, kind):
    alice = create_user("alice@example.com")
    change(alice, kind, 700)
    (document,) = balance_documents(alice)
    assert (document["_id"], document["user"], document["tokenCredits"]) == (alice, alice, 700)


def test_it_never_creates_a_document_keyed_by_the_user_id_beside_an_existing_one(mongo):
    alice = create_user("alice@example.com", 100)
    change(alice, Kind.ADD, 50)
    change(alice, Kind.SET, 10)
    assert [(d["_id"] == alice, d["tokenCredits"]) for d in balance_documents(alice)] == [(False, 10)]


def test_it_converges_with_librechat_creating_the_same_record_at_the_same_moment(mongo, monkeypatch):
    dana = create_user("dana@example.com")
    reads = []

    def read_before_librechat_creates(user_ids):
        reads.append(user_ids)
        if len(reads) == 1:  # what LibreChat's upsertBalanceFields writes for a new user
            mongo.balances.find_one_and_update(
                {"_id": dana}, {"$setOnInsert": {"user": dana, "tokenCredits": 300}}, upsert=True
            )
            return {}
        return earliest_balances(user_ids)

    monkeypatch.setattr(writes, "earliest_balances", read_before_librechat_creates)
    applied = change(dana, Kind.ADD, 1_000, email="dana@example.com")
    assert [(d["_id"], d["tokenCredits"]) for d in balance_documents(dana)] == [(dana, 1_300)]
    assert (applied.before_credits, applied.status) == (300, "applied")


def test_a_set_converges_with_librechat_creating_the_record_first(mongo, monkeypatch):
    erin = create_user("erin@example.com")
    create = writes._create_missing_balances

    def librechat_creates_first(user_ids, tenants):
        mongo.balances.insert_one({"_id": erin, "user": erin, "tokenCredits": 20_000})
        return create(user_ids, tenants)

    monkeypatch.setattr(writes, "_create_missing_balances", librechat_creates_first)
    applied = change(erin, Kind.SET, 5_000, email="erin@example.com")
    assert [(d["_id"], d["tokenCredits"]) for d in balance_documents(erin)] == [(erin, 5_000)]
    assert credit_transactions(erin)[0]["tokenValue"] == -15_000 and applied.status == "applied"


@pytest.mark.parametrize("kind", [Kind.ADD, Kind.SET])
def test_a_created_balance_and_its_transaction_carry_the_users_tenant(mongo, kind):
    alice = create_user("alice@example.com", tenant_id="acme")
    change(alice, kind, 700)
    (document,) = balance_documents(alice)
    (row,) = credit_transactions(alice)
    assert (document["tenantId"], row["tenantId"]) == ("acme", "acme")


@pytest.mark.parametrize("kind", [Kind.ADD, Kind.SET, Kind.SUBTRACT_CLAMPED])
def test_it_keeps_an_existing_documents_tenant(mongo, kind):
    alice = create_user("alice@example.com", tenant_id="acme")
    mongo.balances.insert_one({"user": alice, "tokenCredits": 900})  # written by an older tool, no tenant
    change(alice, kind, 300)
    (document,) = balance_documents(alice)
    (row,) = credit_transactions(alice)
    assert "tenantId" not in document and row["tenantId"] == "acme"


def test_users_without_a_tenant_get_no_tenant_field(mongo):
    bob = create_user("bob@example.com")
    change(bob, Kind.ADD, 5, email="bob@example.com")
    assert "tenantId" not in balance_documents(bob)[0] and "tenantId" not in credit_transactions(bob)[0]


def test_a_batch_stamps_each_user_with_their_own_tenant(mongo):
    users = [
        create_user("a@example.com", 0, tenant_id="acme"),
        create_user("b@example.com", tenant_id="globex"),
        create_user("c@example.com", 0),
    ]
    targets = [Target(user_id, f"{n}@example.com") for user_id, n in zip(users, "abc", strict=True)]
    batch = ledger.open_batch(kind=Kind.ADD, amount_credits=10, source="cli", actor="ops", targets=targets)
    ledger.run_batch(batch)
    assert [credit_transactions(u)[0].get("tenantId") for u in users] == ["acme", "globex", None]
    assert balance_documents(users[1])[0]["tenantId"] == "globex"
