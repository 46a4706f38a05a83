"""kill -9 of a policy run at a ledger step, LibreChat charging meanwhile: the next run finishes the
period exactly once, and balances, LibreChat's history and the audit rows agree."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from ledger.tests.ledger_processes import (
    ODD_START_CREDITS,
    PausedProcess,
    assert_consistent,
    audit_rows,
    crash_workspace,
    librechat_spends,
    manage,
)

pytestmark = pytest.mark.slow
POLICY_FILE = """policies:
- name: Daily
  who: {roles: [USER]}
  what: {action: %s, amount_credits: 3000000}
  when: {frequency: daily, time: "00:00"}
"""


@pytest.fixture(scope="module")
def template_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("migrated")


@pytest.fixture
def ledger(tmp_path, template_dir):
    with crash_workspace("policycrash", template_dir, tmp_path, LEDGER_BATCH_SIZE="2") as workspace:
        yield workspace.database, workspace.sqlite_path, workspace.seeded, workspace.env, tmp_path


@pytest.mark.parametrize(("action", "step"), [("add", "add:after-transactions"), ("reset", "set:before-balance")])
def test_a_policy_run_killed_mid_batch_finishes_the_period_once(ledger, action, step):
    database, sqlite_path, seeded, env, tmp_path = ledger
    (tmp_path / "policies.yaml").write_text(POLICY_FILE % action)
    assert manage("policies", "import", str(tmp_path / "policies.yaml"), "--apply", env=env).returncode == 0
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(hour=12).isoformat()
    PausedProcess(["policies", "run", "--at", tomorrow], env, step).kill()
    assert any(row["status"] == "pending" for row in audit_rows(sqlite_path)), "the kill left work undone"
    librechat_spends(database, seeded, 1234)
    time.sleep(1.1)  # LEDGER_LEASE_SECONDS=1: the dead runner's lease must lapse first
    finished = manage("policies", "run", "--at", tomorrow, env=env)
    assert finished.returncode == 2, finished.stderr  # the broken balance is refused and reported
    again = manage("policies", "run", "--at", tomorrow, env=env)
    assert again.stdout.strip() == "Nothing is due.", again.stdout + again.stderr
    rows = assert_consistent(database, sqlite_path, seeded)
    assert len({row["batch_name"] for row in rows}) == 1 and len(rows) == len(ODD_START_CREDITS)
    assert sum(row["status"] == "failed" for row in rows) == 1
