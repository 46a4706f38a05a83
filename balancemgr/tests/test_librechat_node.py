"""LibreChat's own balance code, run as a Node process, beside this tool's ledger on one MongoDB.

`bin/install-librechat-node` installs the npm packages pinned in librechat/tests/node/ (the
LibreChat data-layer versions named in the README); without node or them these tests skip.
LibreChat reserves, spends, releases, auto-refills and creates balance records for a few seconds
while the ledger tops up, sets, creates missing documents and serves API writes. Afterwards
both sides must agree on every balance and its history.
"""

import io
import json
import os
import random
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from bson import ObjectId
from django.core.management import CommandError, call_command

from api.tests.conftest import ADD_BALANCE, GET_BALANCE, SET_BALANCE, issue_key, post_json
from ledger.changes import Kind, Target, change_one, open_batch, run_batch
from librechat import documents
from librechat.mongo import librechat_db

pytestmark = [pytest.mark.librechat, pytest.mark.django_db(databases=["default", "librechat"])]
ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "librechat" / "tests" / "node" / "harness.mjs"
NODE_MODULES = Path(os.environ.get("LIBRECHAT_NODE_MODULES", ROOT / ".cache" / "librechat-node"))
SECONDS = 8


@pytest.fixture(autouse=True)
def librechat_node():
    if shutil.which("node") is None:
        pytest.skip("node is not installed (bin/install-librechat-node installs it)")
    if not (NODE_MODULES / "node_modules" / "@librechat" / "data-schemas").is_dir():
        pytest.skip(f"LibreChat's npm packages are not in {NODE_MODULES} (run bin/install-librechat-node)")


def harness(mode: str, **config) -> subprocess.Popen:
    database = librechat_db()
    host, port = database.client.address
    config = {"uri": f"mongodb://{host}:{port}/{database.name}", **config}
    env = {**os.environ, "LIBRECHAT_NODE_MODULES": str(NODE_MODULES)}
    return subprocess.Popen(
        ["node", str(HARNESS), mode, json.dumps(config)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=NODE_MODULES,  # LibreChat's logger writes a logs/ folder there
    )


def answer(process: subprocess.Popen) -> dict:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def seed(mongo, count: int, tenant_id: str | None = None) -> list[dict]:
    """Users as LibreChat leaves them: some funded (with the history of it), some with auto-refill due
    every second, some without a balance record yet."""
    people = []
    for number in range(count):
        user = documents.user(f"{tenant_id or 'plain'}{number}@example.com", tenant_id=tenant_id)
        mongo.users.insert_one(user)
        kind = ("funded", "refill", "missing")[number % 3]
        if kind != "missing":
            credits = 200_000 if kind == "funded" else 1_000
            refill = (
                {
                    "autoRefillEnabled": True,
                    "refillAmount": 5_000,
                    "refillIntervalValue": 1,
                    "refillIntervalUnit": "seconds",
                }
                if kind == "refill"
                else {}
            )
            mongo.balances.insert_one(documents.balance(user["_id"], credits, tenant_id=tenant_id, **refill))
            mongo.transactions.insert_one(documents.credits_transaction(user["_id"], credits, tenant_id=tenant_id))
        people.append({"id": str(user["_id"]), "email": user["email"], "tenantId": tenant_id, "kind": kind})
    return people


def work_beside_librechat(client, people: list[dict], until: float) -> int:
    """The ledger's writes while LibreChat runs: adds (creating missing records), sets, top-ups, API writes.

    Users on auto-refill only get small adds, so that their balance stays low enough for LibreChat to refill.
    """
    write_key = issue_key("beside-librechat", ["read", "write"])
    changes = 0
    while time.monotonic() < until:
        person = random.choice(people)
        target = Target(ObjectId(person["id"]), person["email"])
        step = 0 if person["kind"] == "refill" else changes % 4
        if step == 0:
            change_one(target, kind=Kind.ADD, amount_credits=random.randint(100, 900), source="cli", actor="ops")
        elif step == 1:
            # Never below what LibreChat may hold: a charge beyond the balance would be clamped.
            amount = random.randint(300_000, 600_000)
            change_one(target, kind=Kind.SET, amount_credits=amount, source="cli", actor="ops")
        elif step == 2:
            raised = [p for p in people if p["kind"] != "refill"]
            targets = [Target(ObjectId(p["id"]), p["email"]) for p in random.sample(raised, 3)]
            batch = open_batch(kind=Kind.TOP_UP_TO, amount_credits=250_000, source="cli", actor="ops", targets=targets)
            run_batch(batch)
        else:
            path, body = random.choice(
                [(ADD_BALANCE, {"amount": 2_000}), (SET_BALANCE, {"amount": random.randint(300_000, 600_000)})]
            )
            response = post_json(client, path, {"email": person["email"], **body}, write_key)
            assert response.status_code == 200, response.content
        changes += 1
    return changes


def assert_in_agreement(client, mongo, people: list[dict]) -> None:
    seen = answer(harness("read", users=people, holdCredits=700))
    read_key = issue_key("reader", ["read"])
    for person in people:
        user_id = ObjectId(person["id"])
        balances = list(mongo.balances.find({"user": user_id}))
        assert len(balances) == 1, f"{person['email']} has {len(balances)} balance documents"
        (balance,) = balances
        assert balance.get("tenantId") == person["tenantId"]
        history = sum(row["tokenValue"] for row in mongo.transactions.find({"user": user_id}))
        assert balance["tokenCredits"] == pytest.approx(history, abs=1), person["email"]
        assert "pendingRefill" not in balance, "an auto-refill's transaction was lost"
        held = [r["id"] for r in balance.get("reservations", [])]
        assert held == (["left-in-flight"] if person is people[0] else []), "a hold was lost or leaked"
        assert mongo.transactions.count_documents({"user": user_id, "tenantId": {"$ne": person["tenantId"]}}) == 0
        librechat_reads = seen[person["id"]]
        assert librechat_reads["documents"] == 1
        api = client.get(GET_BALANCE, {"email": person["email"]}, headers={"x-api-key": read_key}).json()
        assert api["balance"] == librechat_reads["tokenCredits"]
        assert api["available"] == librechat_reads["tokenCredits"] - librechat_reads["reservedCredits"]
    report = io.StringIO()
    try:
        call_command("reconcile_balances", "--format", "json", stdout=report, stderr=io.StringIO())
    except CommandError:
        pytest.fail(f"reconcile_balances found drift: {report.getvalue()[:2000]}")


def run_side_by_side(client, mongo, people: list[dict]) -> dict:
    librechat = harness("run", users=people, seconds=SECONDS, workers=4)
    changes = work_beside_librechat(client, people, time.monotonic() + SECONDS)
    counts = answer(librechat)
    assert counts["errors"] == [], counts["errors"][:5]
    assert counts["reserved"] > 10 and counts["released"] == counts["reserved"] and changes > 10
    assert mongo.transactions.count_documents({"context": "autoRefill"}) > 0, f"LibreChat refilled nobody: {counts}"
    return counts


def test_librechat_and_the_ledger_agree_after_working_side_by_side(client, mongo):
    people = seed(mongo, 9)
    run_side_by_side(client, mongo, people)
    assert_in_agreement(client, mongo, people)


def test_they_agree_within_tenants_too(client, mongo):
    people = seed(mongo, 6, tenant_id="acme") + seed(mongo, 3, tenant_id="globex")
    run_side_by_side(client, mongo, people)
    assert_in_agreement(client, mongo, people)
