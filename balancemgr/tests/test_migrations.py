"""A database made before the ledger, web and outbox apps existed keeps every row through `migrate`."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from analytics.models import UsageRollup
from api.models import ApiKey, IdempotentRequest
from audit import models as history
from ledger.models import BalanceChange, ChangeBatch, ImportRow, RefillChange
from requests_app.models import CreditRequest
from web.models import RateLimitWindow

# The last migration of each app at the commit before the layering (ledger, web and outbox did not exist).
BEFORE_LAYERING = [
    ("audit", "0003_reversal_record_and_refill_history"),
    ("balancemgr", "0001_rate_limit_windows"),
    ("requests_app", "0002_one_mailed_pending_request_per_email"),
    ("api", "0001_api_keys_and_idempotent_requests"),
    ("analytics", "0001_usage_rollups"),
    ("ledger", None),
    ("web", None),
    ("outbox", None),
]
HOUR = datetime(2026, 11, 1, 10, tzinfo=UTC)


def migrate_to(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([target for target in targets if target[1]]).apps


def fill_old_schema(old):
    batch = old.get_model("audit", "ChangeBatch").objects.create(
        batch_id="csv-1", kind="add", amount_credits=5, source="import", actor="ops", reason="monthly"
    )
    reversal = old.get_model("audit", "ChangeBatch").objects.create(
        batch_id="reverse-1", kind="add", amount_credits=-5, source="admin", actor="ops", reverses=batch
    )
    old.get_model("audit", "BalanceChange").objects.create(
        batch=batch,
        librechat_user_id="a" * 24,
        email="alice@example.com",
        requested_credits=5,
        before_credits=10,
        after_credits=15,
        delta_credits=5,
        status="applied",
        transaction_id="b" * 24,
    )
    old.get_model("audit", "ImportRow").objects.create(batch_id="csv-1", email="alice@example.com", amount_credits=5)
    old.get_model("audit", "RefillChange").objects.create(
        librechat_user_id="a" * 24, email="alice@example.com", actor="ops", field_name="refillAmount", after_value="9"
    )
    old.get_model("balancemgr", "RateLimitWindow").objects.create(key="ip:127.0.0.1", window_start=HOUR, hit_count=3)
    old.get_model("requests_app", "CreditRequest").objects.create(email="alice@example.com", batch_id="request-1")
    key = old.get_model("api", "ApiKey").objects.create(
        name="billing", prefix="lbm_abcdefgh", key_sha256="c" * 64, scopes="read,write"
    )
    old.get_model("api", "IdempotentRequest").objects.create(api_key=key, idempotency_key="k1", request_sha256="d" * 64)
    old.get_model("analytics", "UsageRollup").objects.create(
        hour=HOUR,
        user_id="a" * 24,
        token_type="prompt",
        rows=1,
        raw_tokens=10,
        input_tokens=10,
        cache_write_tokens=0,
        cache_read_tokens=0,
        cost_millicredits=1000,
        granted_millicredits=0,
    )
    return reversal


@pytest.mark.django_db(transaction=True)
def test_migrate_keeps_every_row_written_before_the_layering():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        reversal = fill_old_schema(migrate_to(BEFORE_LAYERING))
        migrate_to(latest)

        batch = ChangeBatch.objects.get(batch_id="csv-1")
        assert batch.reversed_by.batch_id == "reverse-1"
        assert ChangeBatch.objects.get(pk=reversal.pk).reverses == batch
        change = BalanceChange.objects.get()
        assert (change.batch, change.delta_credits, change.status) == (batch, 5, "applied")
        assert ImportRow.objects.get().batch_id == "csv-1"
        assert RefillChange.objects.get().after_value == "9"
        assert RateLimitWindow.objects.get().hit_count == 3
        assert CreditRequest.objects.get().batch_id == "request-1"
        assert IdempotentRequest.objects.get().api_key == ApiKey.objects.get(name="billing")
        assert UsageRollup.objects.get().cost_millicredits == 1000
        # The history's admin reads the same rows through its proxies.
        assert history.BalanceChange.objects.get().batch_id == batch.pk
    finally:
        migrate_to(latest)
