"""One structured log line per balance change; JSON on stdout with LOG_FORMAT=json."""

import copy
import json
import logging
import os
import subprocess
import sys
from logging.config import DictConfigurator

import pytest
from django.conf import settings

from ledger.log import log_balance_change
from ledger.models import BalanceChange, ChangeBatch

pytestmark = pytest.mark.django_db


@pytest.fixture
def applied_change():
    batch = ChangeBatch.objects.create(
        batch_id="may-topup", kind="add", amount_credits=5_000_000, source="admin", actor="olga", reason="api-key sk-1"
    )
    return BalanceChange.objects.create(
        batch=batch,
        librechat_user_id="6b04ad61a92d009623844411",
        email="alice@example.com",
        requested_credits=5_000_000,
        before_credits=1_000_000,
        delta_credits=5_000_000,
        after_credits=6_000_000,
        status=BalanceChange.Status.APPLIED,
        transaction_id="6b04ad61a92d009623844499",
    )


def json_line(record: logging.LogRecord) -> dict:
    # A copy: the configurator consumes the "()" key of the dict it is given.
    config = copy.deepcopy(settings.LOGGING)
    formatter = DictConfigurator(config).configure_formatter(config["formatters"]["json"])
    return json.loads(formatter.format(record))


def test_an_applied_change_is_one_json_object_with_who_whom_how_much_and_batch(applied_change, caplog):
    with caplog.at_level(logging.INFO, logger="audit.balance_change"):
        log_balance_change(applied_change)
    [record] = caplog.records
    line = json_line(record)
    assert line["level"] == "INFO" and line["logger"] == "audit.balance_change"
    assert line["event"] == "balance_change" and line["status"] == "applied"
    assert (line["actor"], line["source"], line["batch_id"]) == ("olga", "admin", "may-topup")
    assert (line["librechat_user_id"], line["email"]) == ("6b04ad61a92d009623844411", "alice@example.com")
    assert (line["before_credits"], line["delta_credits"], line["after_credits"]) == (1_000_000, 5_000_000, 6_000_000)
    assert "sk-1" not in json.dumps(line), "the free-text reason stays in the audit table"


def test_a_failed_change_is_a_warning(applied_change, caplog):
    applied_change.status = BalanceChange.Status.FAILED
    applied_change.delta_credits = None
    with caplog.at_level(logging.INFO, logger="audit.balance_change"):
        log_balance_change(applied_change)
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert json_line(record)["status"] == "failed"


def test_log_format_json_writes_one_object_per_line_to_stdout():
    env = {**os.environ, "LOG_FORMAT": "json", "DEBUG": "true"}
    code = "import logging; logging.getLogger('balancemgr').warning('hello %s', 'world', extra={'batch_id': 'b1'})"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", code],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    [line] = [json.loads(text) for text in result.stdout.splitlines() if text.strip()]
    assert line["message"] == "hello world" and line["level"] == "WARNING" and line["batch_id"] == "b1"
    assert "time" in line


@pytest.mark.django_db(databases=["default", "librechat"])
def test_the_ledger_logs_each_change_it_applies_or_refuses(mongo, caplog):
    from ledger.changes import Kind, Target, open_batch, run_batch
    from librechat.testing import create_user

    good, broken = create_user("good@example.com", 5), create_user("broken@example.com", 5)
    mongo.balances.update_one({"user": broken}, {"$set": {"tokenCredits": "lots"}})
    targets = [Target(good, "good@example.com"), Target(broken, "broken@example.com")]
    batch = open_batch(kind=Kind.ADD, amount_credits=10, source="cli", actor="ops", batch_id="logged", targets=targets)
    with caplog.at_level(logging.INFO, logger="audit.balance_change"):
        run_batch(batch)
    logged = {(record.email, record.status, record.delta_credits) for record in caplog.records}
    assert logged == {("good@example.com", "applied", 10), ("broken@example.com", "failed", None)}
