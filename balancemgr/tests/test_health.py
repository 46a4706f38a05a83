import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connections
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from outbox.models import Message

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


def test_it_reports_both_databases_up(client, mongo):
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["databases"]) == {"default", "librechat"}
    for database in body["databases"].values():
        assert database["status"] == "ok"
        assert database["latency_ms"] >= 0
    assert response["Cache-Control"] == "no-store"


@override_settings(HEALTH_TIMEOUT_MS=300)
def test_it_answers_503_quickly_when_mongo_is_unreachable(client, unreachable_mongo):
    response = client.get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["databases"]["librechat"]["status"] == "error"
    assert body["databases"]["librechat"]["latency_ms"] < 2000
    assert body["databases"]["default"]["status"] == "ok"
    # No URI, host or driver message: the page is public.
    assert "127.0.0.1" not in response.content.decode()


@override_settings(ALLOWED_HOSTS=["chat.example.com"], SECURE_SSL_REDIRECT=True)
def test_it_answers_on_localhost_whatever_the_site_name(client, mongo):
    response = client.get("/health", HTTP_HOST="127.0.0.1:8000")
    assert response.status_code == 200
    assert client.get("/admin/login/", HTTP_HOST="127.0.0.1:8000").status_code == 400


def test_it_needs_no_login_and_refuses_writes(client, mongo):
    assert client.get("/health/").status_code == 200
    response = client.post("/health")
    assert response.status_code != 200


def metrics_status(enabled: str) -> str:
    code = "from django.test import Client; print(Client().get('/metrics', HTTP_HOST='localhost').status_code)"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", code],
        cwd=settings.BASE_DIR,
        env={**os.environ, "METRICS_ENABLED": enabled, "DEBUG": "true"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def test_prometheus_metrics_are_served_only_when_enabled():
    assert metrics_status("false") == "404"
    assert metrics_status("true") == "200"


def test_it_checks_our_tables_and_the_worker_with_three_cheap_queries(client, mongo):
    with CaptureQueriesContext(connections["default"]) as queries:
        assert client.get("/health").status_code == 200
    assert len(queries) <= 3  # the tables, the migrations, the worker's heartbeat


@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_a_missing_table_is_not_healthy(client, mongo):
    # Outside a test transaction: SQLite commits a DROP TABLE, so the table is put back at the end.
    with connections["default"].schema_editor() as editor:
        editor.delete_model(Message)
    try:
        response = client.get("/health")
    finally:
        with connections["default"].schema_editor() as editor:
            editor.create_model(Message)
    assert response.status_code == 503
    default = response.json()["databases"]["default"]
    assert default["status"] == "error" and "1 tables missing" in default["reason"]


def test_unapplied_migrations_are_not_healthy(client, mongo):
    recorded = MigrationRecorder.Migration.objects.filter(app="outbox")
    names = list(recorded.values_list("name", flat=True))
    recorded.delete()
    try:
        response = client.get("/health")
    finally:
        # The request's end can commit the test's transaction on SQLite: later tests need the records.
        for name in names:
            MigrationRecorder.Migration.objects.get_or_create(app="outbox", name=name)
    assert response.status_code == 503
    assert "migrations not applied" in response.json()["databases"]["default"]["reason"]
