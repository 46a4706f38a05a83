"""reconcile_balances: balances against the sum of LibreChat's transactions, reported and fixed."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from ledger.changes import Kind, Target, change_one, open_batch, run_batch
from ledger.models import BalanceChange, ChangeBatch
from librechat import documents
from librechat.testing import Terminal, create_user, credit_transactions, credits_of

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


@pytest.fixture
def people(mongo):
    """alice: set by LibreChat's set-balance (no row); bob: in step; carol: spent below 0 (clamped)."""
    alice = create_user("alice@example.com", 5_000_000)
    bob = create_user("bob@example.com", 0)
    change_one(Target(bob, "bob@example.com"), kind=Kind.ADD, amount_credits=3_000, source="cli", actor="ops")
    carol = create_user("=carol@example.com", 0)
    mongo.transactions.insert_many(
        [
            documents.credits_transaction(carol, 1_000),
            {"user": carol, "tokenType": "completion", "tokenValue": -1_500.4, "rawAmount": -100, "rate": 15.004},
        ]
    )
    return {"alice": alice, "bob": bob, "carol": carol}


def reconcile(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("reconcile_balances", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_it_lists_users_whose_balance_and_history_disagree(people):
    code, out, err = reconcile("--format", "json")
    assert code == 3 and "2 users with drift" in err
    rows = {row["email"]: row for row in json.loads(out)}
    assert set(rows) == {"alice@example.com", "=carol@example.com"}
    assert rows["alice@example.com"]["drift_credits"] == 5_000_000
    assert rows["=carol@example.com"]["drift_credits"] == pytest.approx(500.4)
    assert (rows["=carol@example.com"]["history_credits"], rows["=carol@example.com"]["transactions"]) == (
        pytest.approx(-500.4),
        2,
    )


def test_it_reports_as_a_table_and_as_formula_escaped_csv(people):
    code, table, _ = reconcile("--format", "table")
    assert code == 3 and table.splitlines()[0].split()[:3] == ["email", "user_id", "balance_credits"]
    assert "alice@example.com" in table and "bob@example.com" not in table
    code, text, _ = reconcile("--format", "csv", "--email", "=carol@example.com")
    assert code == 3 and text.splitlines()[1].startswith("'=carol@example.com,")


def test_since_checks_only_users_with_recent_transactions(people):
    code, out, _ = reconcile("--format", "json", "--since", "2000-01-01")
    assert code == 3
    assert {row["email"] for row in json.loads(out)} == {"=carol@example.com"}, "alice has no transaction at all"
    assert reconcile("--since", "2100-01-01")[0] == 0
    assert reconcile("--since", "9999-12-31")[0] == 1
    assert reconcile("--since", "someday")[0] == 1


def test_fix_writes_the_missing_history_as_one_audited_batch_without_touching_balances(people):
    args = ["--fix", "--reason", "after set-balance", "--yes", "--batch-id", "fix-1", "--include-explained"]
    code, _, err = reconcile(*args)
    assert code == 0, err
    assert (credits_of(people["alice"]), credits_of(people["carol"])) == (5_000_000, 0)
    assert [row["tokenValue"] for row in credit_transactions(people["alice"])] == [5_000_000]
    batch = ChangeBatch.objects.get(batch_id="fix-1")
    assert (batch.kind, batch.source, batch.reason) == (Kind.RECORD, "cli", "after set-balance")
    alice_row = batch.changes.get(email="alice@example.com")
    assert (alice_row.before_credits, alice_row.after_credits, alice_row.delta_credits) == (5_000_000,) * 2 + (
        5_000_000,
    )
    assert batch.changes.get(email="=carol@example.com").delta_credits == 500, "whole credits"
    assert reconcile()[0] == 0, "no drift left"
    assert reconcile("--fix", "--reason", "again", "--yes", "--batch-id", "fix-1", "--include-explained")[0] == 0
    assert BalanceChange.objects.filter(batch=batch).count() == 2


def test_fix_needs_a_reason_and_changes_nothing_without_one(people):
    code, _, _ = reconcile("--fix")
    assert code == 1 and ChangeBatch.objects.count() == 1 and not credit_transactions(people["alice"])


def test_balances_that_are_not_numbers_are_listed_but_not_fixed(mongo, people):
    mongo.balances.update_one({"user": people["alice"]}, {"$set": {"tokenCredits": "lots"}})
    code, out, _ = reconcile("--format", "json", "--email", "alice@example.com")
    assert code == 3 and "not a number" in json.loads(out)[0]["problem"]
    code, _, _ = reconcile("--email", "alice@example.com", "--fix", "--reason", "x", "--yes")
    assert code == 1 and not credit_transactions(people["alice"])


def test_a_record_only_batch_run_again_writes_its_row_once(people):
    target = Target(people["alice"], "alice@example.com", 5_000_000)
    batch = open_batch(kind=Kind.RECORD, amount_credits=None, source="cli", actor="ops", targets=[target])
    assert run_batch(batch).applied_count == 1
    BalanceChange.objects.filter(batch=batch).update(status="pending")  # as if killed before marking it applied
    outcome = run_batch(batch)
    assert outcome.complete and outcome.applied_count == 1
    assert [row["tokenValue"] for row in credit_transactions(people["alice"])] == [5_000_000]
    assert credits_of(people["alice"]) == 5_000_000


class ConfirmAfter(Terminal):
    """A terminal whose user answers "y" only after `meanwhile` ran: another fix at the same time."""

    def __init__(self, meanwhile):
        super().__init__()
        self.meanwhile = meanwhile

    def readline(self) -> str:
        self.meanwhile()
        return "y\n"


def test_two_fixes_at_once_write_each_correction_once(people, monkeypatch):
    other_run = []
    fix_at_once = ConfirmAfter(lambda: other_run.append(reconcile("--fix", "--reason", "r", "--yes")))
    monkeypatch.setattr("sys.stdin", fix_at_once)
    with pytest.raises(CommandError, match="ran since the drift was read; nothing was written") as refused:
        call_command("reconcile_balances", "--fix", "--reason", "r", stdout=io.StringIO(), stderr=io.StringIO())
    assert refused.value.returncode == 1
    assert other_run[0][0] == 0 and "Batch reconcile-" in other_run[0][1]
    assert [row["tokenValue"] for row in credit_transactions(people["alice"])] == [5_000_000]
    assert ChangeBatch.objects.filter(kind=Kind.RECORD).count() == 1


def test_the_same_drift_read_twice_is_one_batch(people):
    from ledger.reconcile import find_drift, fix_batch_id, users_to_check

    first, second = (fix_batch_id(find_drift(users_to_check())) for _ in range(2))
    assert first == second and first.startswith("reconcile-") and len(first) == 64


def test_a_fix_is_not_named_in_another_family_nor_as_a_new_reconcile_batch(people):
    for batch_id in ("reconcile-made-up", "reverse-1"):
        code, _, _ = reconcile("--fix", "--reason", "r", "--yes", "--batch-id", batch_id)
        assert code == 1
    assert not ChangeBatch.objects.filter(kind=Kind.RECORD).exists()


def test_each_drift_says_which_of_librechats_own_changes_explains_it(mongo, people):
    dan = create_user("dan@example.com")  # LibreChat's createUser: the start balance, keyed by the user, no row
    mongo.balances.insert_one({"_id": dan, "user": dan, "tokenCredits": 20_000})
    refill_id = documents.ObjectId()
    eve = create_user("eve@example.com", 15_000, pendingRefill={"transactionId": refill_id, "rawAmount": 10_000})
    # Eve spent 15,000 of her start balance, then was refilled; the refill's transaction is pending.
    mongo.transactions.insert_one(
        {"user": eve, "tokenType": "prompt", "tokenValue": -15_000, "rawAmount": -15_000, "rate": 1}
    )
    code, out, err = reconcile("--format", "json")
    rows = {row["email"]: row for row in json.loads(out)}
    assert code == 3 and "4 users with drift, 3 of them explained" in err
    assert rows["dan@example.com"]["explanation"] == "start balance of 20,000 at sign-up (no transaction)"
    assert rows["=carol@example.com"]["explanation"] == "charges stopped at 0 (500 credits not charged)"
    assert rows["eve@example.com"]["explanation"] == (
        "start balance of 20,000 at sign-up (no transaction); "
        "auto-refill of 10,000 whose transaction LibreChat has not written yet"
    )
    assert rows["alice@example.com"]["explanation"] == ""


def test_a_start_balance_lowered_by_a_set_of_this_tool_is_not_taken_for_a_charge_stopped_at_0(mongo):
    # As in the demo and the README: LibreChat's start balance (no row), then add_balance and set_balance.
    alice = create_user("alice@example.com", 20_000)
    call_command("add_balance", "alice@example.com", "5000000", stdout=io.StringIO())
    call_command("set_balance", "alice@example.com", "0", stdout=io.StringIO())
    code, out, _ = reconcile("--format", "json")
    (row,) = json.loads(out)
    assert code == 3 and (row["drift_credits"], credits_of(alice)) == (20_000, 0)
    assert row["explanation"] == "start balance of 20,000 at sign-up (no transaction)"


def test_fix_writes_only_drift_no_known_cause_explains(mongo, people):
    code, _, err = reconcile("--fix", "--reason", "after set-balance", "--yes", "--batch-id", "fix-2")
    assert code == 0, err
    assert [row["tokenValue"] for row in credit_transactions(people["alice"])] == [5_000_000]
    assert len(credit_transactions(people["carol"])) == 1, "carol's clamped charge is LibreChat's own doing"


def test_the_start_balance_is_taken_from_the_command_line(mongo):
    fay = create_user("fay@example.com")
    mongo.balances.insert_one({"_id": fay, "user": fay, "tokenCredits": 50_000})
    code, out, _ = reconcile("--format", "json", "--start-balance", "50000")
    assert code == 3 and json.loads(out)[0]["explanation"].startswith("start balance of 50,000")


def test_transactions_whose_amounts_are_not_numbers_are_counted_and_left_unexplained(mongo):
    gus = create_user("gus@example.com", 1_000)
    mongo.transactions.insert_many(
        [
            documents.credits_transaction(gus, 1_000),
            {"user": gus, "tokenType": "prompt", "tokenValue": "-40", "rawAmount": -4, "rate": 10},
            {"user": gus, "tokenType": "prompt", "tokenValue": float("nan"), "rawAmount": -4, "rate": 10},
            {"user": gus, "tokenType": "prompt", "tokenValue": -300, "rawAmount": -30, "rate": 10},
        ]
    )
    code, out, _ = reconcile("--format", "json")
    (row,) = json.loads(out)
    assert code == 3 and (row["history_credits"], row["invalid_transactions"]) == (700, 2)
    assert (row["drift_credits"], row["explanation"], row["problem"]) == (300, "", "")
