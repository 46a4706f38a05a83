"""kill -9 at every step of the ledger's protocol, and MongoDB stopped mid-batch: a re-run (or
the worker) finishes the batch, and balances, LibreChat's history and the audit rows agree.

Each test runs `manage.py` as a real process on a SQLite file and a MongoDB database of its own.
LibreChat keeps charging users while our process is dead, so a resumed set must take its
difference from what it really did, not from what it read before the crash.
"""

import subprocess
import sys
import time

import pytest

from ledger.tests.ledger_processes import (
    ROOT,
    PausedProcess,
    assert_consistent,
    audit_rows,
    command_env,
    crash_workspace,
    librechat_spends,
    manage,
    migrated_sqlite,
    mongo_database,
    seed_users,
)
from librechat.embedded_mongo import free_port, start_embedded_mongo, stop_embedded_mongo

pytestmark = pytest.mark.slow
# Two users per chunk: the crash hits the first chunk and leaves the others untouched.
BULK = {"add": ["--add", "3000000"], "set": ["--set", "2000000"]}


@pytest.fixture(scope="module")
def template_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("migrated")


@pytest.fixture
def ledger(tmp_path, template_dir):
    with crash_workspace("crash", template_dir, tmp_path) as workspace:
        yield workspace.database, workspace.sqlite_path, workspace.seeded, workspace.env


def bulk_args(kind: str, batch_id: str) -> list[str]:
    return ["bulk_topup", "--all", *BULK[kind], "--yes", "--batch-size", "2", "--batch-id", batch_id]


def crash_at(step: str, args: list[str], env: dict, database, seeded) -> None:
    """Run until the step, kill -9 there, let the lease lapse while LibreChat charges everyone."""
    PausedProcess(args, env, step).kill()
    librechat_spends(database, seeded, 1234)
    time.sleep(1.1)  # LEDGER_LEASE_SECONDS=1: the dead runner's lease must lapse first


@pytest.mark.parametrize(
    "step",
    [
        "add:before-transactions",
        "add:after-transactions",
        "add:after-balances",
        "set:before-balance",
        "set:after-balance",
        "set:after-transaction",
    ],
)
def test_bulk_topup_killed_at_each_step_finishes_exactly_once_when_rerun(ledger, step):
    database, sqlite_path, seeded, env = ledger
    kind = step.split(":")[0]
    args = bulk_args(kind, f"crash-{kind}")
    crash_at(step, args, env, database, seeded)
    assert any(row["status"] == "pending" for row in audit_rows(sqlite_path)), "the kill left work undone"

    rerun = manage(*args, env=env)

    assert rerun.returncode == 2, rerun.stderr  # partly applied: the broken balance
    assert "not applied user5@example.com: failed: tokencredits is not a number" in rerun.stderr.lower()
    assert "Traceback" not in rerun.stderr
    rows = assert_consistent(database, sqlite_path, seeded)
    assert sorted(row["status"] for row in rows) == ["applied"] * 5 + ["failed"]
    applied = [row for row in rows if row["status"] == "applied"]
    if kind == "add":
        assert all(row["delta_credits"] == 3_000_000 for row in applied)
    else:
        # Balances written before the kill were charged by LibreChat afterwards; the others were set.
        working = [user_id for user_id, start in seeded.start_credits.items() if not isinstance(start, str)]
        assert {credits_of(database, user_id) for user_id in working} <= {2_000_000, 2_000_000 - 1234}


@pytest.mark.parametrize(
    ("command", "step", "amount"),
    [("add_balance", "add:after-transactions", "5000"), ("set_balance", "set:after-balance", "70")],
)
def test_a_single_change_killed_mid_way_finishes_once_when_retried_with_its_id(ledger, command, step, amount):
    database, sqlite_path, seeded, env = ledger
    args = [command, "user0@example.com", amount, "--batch-id", f"one-{command}"]
    crash_at(step, args, env, database, seeded)

    retried = manage(*args, env=env)

    assert retried.returncode == 0, retried.stderr
    assert f"Batch one-{command}" in retried.stdout and "after" in retried.stdout
    rows = assert_consistent(database, sqlite_path, seeded)
    assert [row["status"] for row in rows] == ["applied"]


def test_the_worker_resumes_a_killed_bulk_topup(ledger):
    database, sqlite_path, seeded, env = ledger
    crash_at("set:after-balance", bulk_args("set", "crash-worker"), env, database, seeded)

    worker = manage("ledger_worker", "--batch", env=env)

    assert worker.returncode == 0, worker.stderr
    assert "Resuming 1 interrupted batch" in worker.stdout
    rows = assert_consistent(database, sqlite_path, seeded)
    assert sorted(row["status"] for row in rows) == ["applied"] * 5 + ["failed"]


def test_a_rerun_right_after_a_kill_takes_over_the_dead_runners_lease_at_once(ledger):
    database, sqlite_path, seeded, env = ledger
    env = {**env, "LEDGER_LEASE_SECONDS": "60"}
    args = bulk_args("add", "killed-just-now")
    PausedProcess(args, env, "add:before-transactions").kill()

    rerun = manage(*args, env=env)

    assert rerun.returncode == 2, rerun.stderr  # only the broken balance is left
    assert "being applied" not in rerun.stderr
    rows = assert_consistent(database, sqlite_path, seeded)
    assert sorted(row["status"] for row in rows) == ["applied"] * 5 + ["failed"]


def test_the_worker_resumes_at_once_a_batch_whose_runner_was_killed_on_its_host(ledger):
    database, sqlite_path, seeded, env = ledger
    env = {**env, "LEDGER_LEASE_SECONDS": "60"}
    PausedProcess(bulk_args("set", "killed-worker"), env, "set:after-balance").kill()

    worker = manage("ledger_worker", "--batch", env=env)

    assert worker.returncode == 0, worker.stderr
    assert "Resuming 1 interrupted batch" in worker.stdout
    rows = assert_consistent(database, sqlite_path, seeded)
    assert sorted(row["status"] for row in rows) == ["applied"] * 5 + ["failed"]


def test_a_live_runner_is_named_and_waited_for_with_wait(ledger):
    database, sqlite_path, seeded, env = ledger
    env = {**env, "LEDGER_LEASE_SECONDS": "60"}
    args = bulk_args("add", "still-running")
    # Paused long enough for both later commands to start (each takes seconds on a busy machine).
    first = PausedProcess(args, env, "add:before-transactions", pause_seconds=20)
    waiting = subprocess.Popen(
        [sys.executable, "manage.py", *args, "--wait"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    refused = manage(*args, env=env)

    assert refused.returncode == 2
    assert f"being applied by process {first.process.pid} on host" in refused.stderr
    assert "its lease frees at" in refused.stderr and "--wait" in refused.stderr
    assert first.finish()[0] == 2  # the broken balance
    waited_stdout, waited_stderr = waiting.communicate(timeout=60)
    assert waiting.returncode == 2, waited_stderr
    assert "waiting for it" in waited_stderr and "Applied to 0 users" in waited_stdout
    rows = assert_consistent(database, sqlite_path, seeded)
    assert sorted(row["status"] for row in rows) == ["applied"] * 5 + ["failed"]


@pytest.mark.parametrize(
    ("kind", "step", "users_applied_before_outage"),
    [("set", "set:after-transaction", 1), ("add", "add:after-balances", 2)],
)
def test_a_batch_stops_fast_when_mongodb_goes_away_and_resumes_after_it_returns(
    tmp_path, template_dir, kind, step, users_applied_before_outage
):
    port, storage = free_port(), tmp_path / "mongo"
    storage.mkdir()
    server = start_embedded_mongo(str(storage), port)
    uri = f"mongodb://127.0.0.1:{port}/LibreChat"
    database = mongo_database(uri)
    # Forty users: waiting out a timeout per user would take 20 s or more after the outage.
    seeded = seed_users(database, [1000] * 40)
    sqlite_path = migrated_sqlite(template_dir, tmp_path / "balancemgr.sqlite3")
    env = command_env(sqlite_path, uri, MONGO_TIMEOUT_MS="500")
    args = bulk_args(kind, f"outage-{kind}")
    try:
        paused = PausedProcess(args, env, step, pause_seconds=2)
        stop_embedded_mongo(server)
        exit_code, stdout, stderr = paused.finish()
        seconds_after_pause = time.monotonic() - paused.pause_ends_at

        assert exit_code == 2, stdout + stderr
        # Three errors in a row, each at most two server selections (pymongo retries once), plus exit.
        assert seconds_after_pause < 3 * 2 * 0.5 + 4, f"took {seconds_after_pause:.1f} s after the outage"
        assert "Traceback" not in stderr
        assert "Cannot reach LibreChat's MongoDB" in stderr and "Stopped:" in stderr
        assert f"Applied to {users_applied_before_outage} user" in stdout
        assert "NOT APPLIED" in stderr and len(stderr.splitlines()) < 60

        server = start_embedded_mongo(str(storage), port)
        rerun = manage(*args, env=env)

        assert rerun.returncode == 0, rerun.stderr
        rows = assert_consistent(database, sqlite_path, seeded)
        assert len(rows) == 40 and {row["status"] for row in rows} == {"applied"}
    finally:
        database.client.close()
        stop_embedded_mongo(server)


def credits_of(database, user_id):
    return database.balances.find_one({"user": user_id}, sort=[("_id", 1)])["tokenCredits"]
