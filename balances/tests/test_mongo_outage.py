"""MongoDB going away: one clear line, a fast stop, and nothing half-recorded."""

import io
import time

import pytest
from bson import ObjectId
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from ledger.changes import Kind, Target, open_batch, run_batch
from ledger.models import BalanceChange

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


@pytest.mark.parametrize(
    "args",
    [
        ["add_balance", "alice@example.com", "100"],
        ["set_balance", "alice@example.com", "100"],
        ["bulk_topup", "--all", "--add", "100", "--yes"],
        ["list_balances"],
        ["user_stats"],
    ],
)
def test_commands_say_mongo_is_unreachable_in_one_line(unreachable_mongo, args):
    err = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command(*args, stdout=io.StringIO(), stderr=err)
    assert raised.value.returncode == 1
    assert str(raised.value).startswith("Cannot reach LibreChat's MongoDB at mongodb://127.0.0.1:")
    assert "Nothing was changed" in str(raised.value) and "Traceback" not in err.getvalue()


def test_a_set_batch_stops_after_a_few_errors_instead_of_one_timeout_per_user(unreachable_mongo):
    targets = [Target(ObjectId(), f"user{i}@example.com") for i in range(50)]
    batch = open_batch(kind=Kind.SET, amount_credits=5, source="cli", actor="ops", targets=targets)
    started = time.monotonic()
    outcome = run_batch(batch)
    assert time.monotonic() - started < 5, "three 200 ms timeouts, not fifty"
    assert outcome.mongo_unavailable and "Cannot reach LibreChat's MongoDB" in outcome.stopped_reason
    assert (outcome.applied_count, outcome.pending_count) == (0, 50)
    assert set(BalanceChange.objects.values_list("status", flat=True)) == {"pending"}
    batch.refresh_from_db()
    assert batch.stopped_reason == outcome.stopped_reason and not batch.is_running


def test_the_import_preview_says_mongo_is_unreachable_without_a_traceback(operator_client, unreachable_mongo):
    csv_file = SimpleUploadedFile("topups.csv", b"email,amount\nalice@example.com,5\n", content_type="text/csv")
    response = operator_client.post("/admin/audit/importrow/import/", {"import_file": csv_file, "mode": "add"})
    assert response.status_code == 503
    content = response.content.decode()
    assert "Cannot reach LibreChat&#x27;s MongoDB" in content and "Traceback" not in content
