"""`bulk_topup`: plan, confirm, apply as one batch; resumable; bad input applies nothing."""

import io
import sys

import pytest
from django.core.management import CommandError, call_command

from ledger.models import BalanceChange, ChangeBatch
from librechat.testing import Terminal, create_user, credit_transactions, credits_of

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


def bulk(*args) -> str:
    out = io.StringIO()
    call_command("bulk_topup", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def exit_code_of(*args) -> tuple[int, str]:
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("bulk_topup", *args, stdout=io.StringIO(), stderr=err)
    return raised.value.returncode, f"{raised.value} {err.getvalue()}"


@pytest.fixture
def people(mongo):
    return {
        "alice": create_user("alice@example.com", 500_000),
        "bob": create_user("bob@example.com", 3_000_000, role="ADMIN"),
        "carol": create_user("carol@example.com"),
    }


def test_add_to_all_users_is_one_audited_batch(people):
    output = bulk("--all", "--add", "1000000", "--yes", "--reason", "new month")
    assert "Plan: add 1,000,000 credits for 3 users, total change 3,000,000 credits ($3.00)" in output
    assert [credits_of(people[n]) for n in ("alice", "bob", "carol")] == [1_500_000, 4_000_000, 1_000_000]
    batch = ChangeBatch.objects.get()
    assert (batch.source, batch.reason, batch.changes.count()) == ("cli", "new month", 3)


def test_dry_run_changes_nothing(people, mongo):
    output = bulk("--all", "--set", "0", "--dry-run")
    assert "total change -3,500,000 credits" in output and "Dry run" in output
    assert credits_of(people["alice"]) == 500_000
    assert mongo.transactions.count_documents({}) == 0 and not ChangeBatch.objects.exists()


def test_the_plan_names_the_amount_of_a_top_up_to(people):
    output = bulk("--all", "--top-up-to", "2000000", "--dry-run")
    assert "Plan: top up to 2,000,000 credits for 3 users" in output


def test_top_up_to_raises_only_users_below(people):
    bulk("--below", "1000000", "--top-up-to", "1000000", "--yes")
    assert (credits_of(people["alice"]), credits_of(people["bob"])) == (1_000_000, 3_000_000)
    assert credits_of(people["carol"]) is None, "users without a balance document are not 'below'"


def test_role_selection(people):
    bulk("--role", "ADMIN", "--add", "5", "--yes")
    assert credits_of(people["bob"]) == 3_000_005 and credits_of(people["alice"]) == 500_000


def test_emails_file(people, tmp_path):
    emails = tmp_path / "emails.txt"
    emails.write_text("# support list\nALICE@example.com\n\ncarol@example.com\n")
    bulk("--emails-file", str(emails), "--add", "10", "--yes")
    assert (credits_of(people["alice"]), credits_of(people["carol"])) == (500_010, 10)


def test_csv_rows_carry_their_own_amounts_and_reasons(people, tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_text("email,amount,reason\nalice@example.com,100,refund\nbob@example.com,0,\n")
    output = bulk("--csv", str(rows), "--mode", "set", "--yes")
    assert "set balance for 2 users" in output
    assert (credits_of(people["alice"]), credits_of(people["bob"])) == (100, 0)
    assert BalanceChange.objects.get(email="alice@example.com").reason == "refund"


def test_it_asks_on_a_terminal_and_a_no_applies_nothing(people, monkeypatch):
    monkeypatch.setattr(sys, "stdin", Terminal("n\n"))
    code, _ = exit_code_of("--all", "--add", "5")
    assert code == 1 and credits_of(people["alice"]) == 500_000
    monkeypatch.setattr(sys, "stdin", Terminal("y\n"))
    bulk("--all", "--add", "5")
    assert credits_of(people["alice"]) == 500_005


def test_without_a_terminal_it_requires_yes(people):
    code, message = exit_code_of("--all", "--add", "5")
    assert code == 1 and "--yes" in message
    assert credits_of(people["alice"]) == 500_000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--all", "--add", "0"], "at least 1"),
        (["--all", "--add", "abc"], "whole number"),
        (["--all", "--set", "1.5"], "whole number"),
        (["--all"], "Say what to do"),
        (["--all", "--mode", "set", "--add", "5"], "--mode goes with --csv only"),
        (["--all", "--add", "5", "--batch-size", "0"], "--batch-size must be at least 1"),
        (["--below", "1", "--add", "5", "--yes"], "No users matched"),
        (["--emails-file", "/nonexistent/list.txt", "--add", "5"], "Cannot read the file"),
    ],
)
def test_bad_input_exits_1_and_applies_nothing(people, args, message):
    code, text = exit_code_of(*args)
    assert code == 1 and message in text
    assert not ChangeBatch.objects.exists()


def test_conflicting_selectors_are_refused_by_argparse(people):
    with pytest.raises(CommandError, match="not allowed with argument"):
        call_command("bulk_topup", "--all", "--role", "USER", "--add", "5", stdout=io.StringIO())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "needs a header"),
        ("email,amount\n", "has no rows"),
        (
            "email,amount\nghost@example.com,5\nalice@example.com,x\nbob@example.com,5\nbob@example.com,6\n",
            "3 problems",
        ),
        ("email,amount,reason\nalice@example.com,5,a\x00b\n", "line 2: The reason contains a NUL character"),
    ],
)
def test_bad_csv_files_list_their_problems_and_apply_nothing(people, tmp_path, text, message):
    rows = tmp_path / "rows.csv"
    rows.write_text(text)
    code, output = exit_code_of("--csv", str(rows), "--yes")
    assert code == 1 and message in output
    assert credits_of(people["bob"]) == 3_000_000 and not ChangeBatch.objects.exists()


def test_csv_with_an_amount_flag_conflicts(people, tmp_path):
    rows = tmp_path / "rows.csv"
    rows.write_text("email,amount\nalice@example.com,5\n")
    code, message = exit_code_of("--csv", str(rows), "--add", "5")
    assert code == 1 and "--csv carries its own amounts" in message


def test_a_failure_halfway_exits_2_and_the_same_batch_id_resumes(mongo):
    users = [create_user(f"user{i:02}@example.com", 0) for i in range(10)]
    mongo.balances.update_one({"user": users[5]}, {"$set": {"tokenCredits": "corrupt"}})
    code, message = exit_code_of("--all", "--add", "100", "--yes", "--batch-id", "monthly", "--batch-size", "3")
    assert code == 2
    assert "NOT APPLIED user05@example.com" in message and "--batch-id monthly" in message
    assert [credits_of(u) for u in users].count(100) == 9

    mongo.balances.update_one({"user": users[5]}, {"$set": {"tokenCredits": 0}})
    output = bulk("--all", "--add", "100", "--yes", "--batch-id", "monthly", "--batch-size", "3")
    assert "Applied to 1 user," in output and "9 users already had this batch" in output
    assert [credits_of(u) for u in users] == [100] * 10
    assert all(len(credit_transactions(u)) == 1 for u in users)


def test_a_batch_id_is_never_reused_for_another_amount(people):
    bulk("--all", "--add", "5", "--yes", "--batch-id", "b1")
    code, message = exit_code_of("--all", "--add", "6", "--yes", "--batch-id", "b1")
    assert code == 1 and "already used" in message
    assert credits_of(people["alice"]) == 500_005


def test_the_same_csv_file_resumes_and_a_corrected_file_is_a_new_batch(people, tmp_path):
    rows = tmp_path / "topups.csv"
    rows.write_text("email,amount\nalice@example.com,100\n")
    first = bulk("--csv", str(rows), "--yes")
    again = bulk("--csv", str(rows), "--yes")
    assert first.split("Batch ")[1].split()[0] == again.split("Batch ")[1].split()[0]
    assert "1 user already had this batch" in again
    assert credits_of(people["alice"]) == 500_100

    rows.write_text("email,amount\nalice@example.com,200\n")
    bulk("--csv", str(rows), "--yes")
    assert credits_of(people["alice"]) == 500_300
    assert ChangeBatch.objects.count() == 2


def test_the_same_top_up_saved_with_other_spelling_resumes_its_batch(people, tmp_path):
    rows = tmp_path / "topups.csv"
    rows.write_text("email,amount\nalice@example.com,1000\nbob@example.com,5\n")
    first = bulk("--csv", str(rows), "--yes")
    rows.write_text('Email, Amount ,reason\n bob@example.com ,5,\n ALICE@Example.com , "1,000" ,\n')
    again = bulk("--csv", str(rows), "--yes")
    assert first.split("Batch ")[1].split()[0] == again.split("Batch ")[1].split()[0]
    assert "2 users already had this batch" in again
    assert credits_of(people["alice"]) == 501_000 and len(credit_transactions(people["alice"])) == 1


def test_the_plan_warns_of_a_recent_import_giving_the_same_amounts(people, tmp_path):
    rows = tmp_path / "topups.csv"
    rows.write_text("email,amount,reason\nalice@example.com,1000,November\n")
    bulk("--csv", str(rows), "--yes")
    earlier = ChangeBatch.objects.get()
    rows.write_text("email,amount,reason\nalice@example.com,1000,November bonus\n")
    output = bulk("--csv", str(rows), "--dry-run")
    assert (
        f"Warning: 1 of these rows gave the same users the same amounts in the last 7 days, in batch {earlier.batch_id}"
        in output
    )
    assert credits_of(people["alice"]) == 501_000


def test_a_batch_id_with_a_different_file_is_refused(people, tmp_path):
    rows = tmp_path / "topups.csv"
    rows.write_text("email,amount\nalice@example.com,100\n")
    bulk("--csv", str(rows), "--yes", "--batch-id", "may")
    rows.write_text("email,amount\nalice@example.com,999\n")
    code, message = exit_code_of("--csv", str(rows), "--yes", "--batch-id", "may")
    assert code == 1 and "belongs to other targets" in message
    assert credits_of(people["alice"]) == 500_100


@pytest.mark.parametrize("below", ["100000000000000000000", "²", "1.5", "-1"])
def test_an_impossible_threshold_is_refused_by_the_parser(people, below):
    with pytest.raises(CommandError, match="--below"):
        call_command("bulk_topup", "--below", below, "--add", "5", "--yes", stdout=io.StringIO(), stderr=io.StringIO())
    assert credits_of(people["alice"]) == 500_000


def test_a_csv_field_over_the_csv_modules_limit_is_a_message(people, tmp_path):
    rows = tmp_path / "huge.csv"
    rows.write_text("email,amount,reason\nalice@example.com,5," + "x" * 140_000 + "\n")
    code, message = exit_code_of("--csv", str(rows), "--yes")
    assert code == 1 and "not valid CSV" in message and "field larger than field limit" in message
    assert credits_of(people["alice"]) == 500_000


def test_a_batch_id_of_the_tools_own_families_only_resumes_its_own_csv_batch(people, tmp_path):
    code, output = exit_code_of("--all", "--add", "5", "--yes", "--batch-id", "request-9")
    assert code == 1 and "named by the tool itself" in output
    assert exit_code_of("--all", "--add", "5", "--yes", "--batch-id", "csv-made-up")[0] == 1
    assert not ChangeBatch.objects.exists() and credits_of(people["alice"]) == 500_000
    rows = tmp_path / "rows.csv"
    rows.write_text("email,amount\nalice@example.com,100\n")
    batch_id = bulk("--csv", str(rows), "--mode", "add", "--yes").split("Batch ")[1].split()[0]
    bulk("--csv", str(rows), "--mode", "add", "--yes", "--batch-id", batch_id)
    assert credits_of(people["alice"]) == 500_100
