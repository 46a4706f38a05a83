"""`add_balance` and `set_balance`: one user, through the ledger, from a shell or a script."""

import io
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from ledger.models import BalanceChange
from librechat.testing import Terminal, create_user, credit_transactions, credits_of

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def alice(mongo):
    return create_user("alice@example.com", 20_000)


def test_add_balance_prints_before_delta_after_and_audits_the_os_user(alice):
    output = run("add_balance", "Alice@example.com", "1000000", "--reason", "support ticket 42")
    assert "before 20,000, delta 1,000,000, after 1,020,000 ($1.02)" in output
    assert credits_of(alice) == 1_020_000
    assert credit_transactions(alice)[0]["context"] == "admin"
    change = BalanceChange.objects.get()
    assert change.batch.source == "cli" and change.batch.actor.endswith("(cli)")
    assert change.batch.reason == "support ticket 42"


def test_set_balance_records_the_difference(alice):
    output = run("set_balance", "alice@example.com", "5000")
    assert "before 20,000, delta -15,000, after 5,000" in output
    assert credit_transactions(alice)[0]["tokenValue"] == -15_000


def test_add_balance_creates_a_missing_balance(mongo):
    bob = create_user("bob@example.com")
    assert "before no balance" in run("add_balance", "bob@example.com", "7")
    assert credits_of(bob) == 7


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ghost@example.com", "100"], "No LibreChat user has the email"),
        (["alice@example.com", "0"], "at least 1"),
        (["alice@example.com", "ten"], "whole number"),
        (["alice@example.com", "1.5"], "whole number"),
    ],
)
def test_bad_input_exits_1_and_changes_nothing(alice, args, message):
    with pytest.raises(CommandError, match=message) as raised:
        run("add_balance", *args)
    assert raised.value.returncode == 1
    assert credits_of(alice) == 20_000 and not BalanceChange.objects.exists()


def test_it_prompts_for_missing_arguments_on_a_terminal(alice, monkeypatch):
    monkeypatch.setattr(sys, "stdin", Terminal("alice@example.com\n300\n"))
    assert "after 20,300" in run("add_balance")


def test_it_never_prompts_without_a_terminal_and_exits_1(mongo):
    env = {**os.environ, "MONGO_URI": settings.DATABASES["librechat"]["HOST"], "DEBUG": "1"}
    result = subprocess.run(
        [sys.executable, "manage.py", "add_balance", "--skip-checks"],
        cwd=settings.BASE_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Email is required (no terminal to ask on)" in result.stderr


def test_it_prints_the_batch_id_first_and_the_same_id_never_applies_twice(alice):
    output = run("add_balance", "alice@example.com", "100", "--batch-id", "ticket-42")
    assert output.startswith("Batch ticket-42 (run again with --batch-id ticket-42")
    again = run("add_balance", "alice@example.com", "100", "--batch-id", "ticket-42")
    assert "after 20,100" in again
    assert credits_of(alice) == 20_100 and len(credit_transactions(alice)) == 1


def test_a_random_batch_id_is_printed_when_none_is_given(alice):
    output = run("set_balance", "alice@example.com", "5")
    batch_id = output.split()[1]
    assert BalanceChange.objects.get().batch.batch_id == batch_id


@pytest.mark.parametrize(
    ("batch_id", "message"), [("x" * 65, "1 to 64"), ("has space", "1 to 64"), ("other-op", "already used")]
)
def test_a_bad_or_foreign_batch_id_is_refused(alice, batch_id, message):
    run("set_balance", "alice@example.com", "5", "--batch-id", "other-op")
    with pytest.raises(CommandError, match=message) as raised:
        run("add_balance", "alice@example.com", "100", "--batch-id", batch_id)
    assert raised.value.returncode == 1 and credits_of(alice) == 5


@pytest.mark.parametrize("batch_id", ["request-1", "reverse-3", "api-0123", "Reconcile-x"])
def test_a_batch_id_of_the_tools_own_families_is_refused(alice, batch_id):
    with pytest.raises(CommandError, match="named by the tool itself") as raised:
        run("add_balance", "alice@example.com", "100", "--batch-id", batch_id)
    assert raised.value.returncode == 1 and credits_of(alice) == 20_000
    assert not BalanceChange.objects.exists()
