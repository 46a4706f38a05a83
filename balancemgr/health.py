"""/health: is each database answering, and how fast. For the image's HEALTHCHECK and monitors.

Our own database must also hold this tool's tables at the code's migrations: a database that answers
SELECT 1 but was never migrated (or lost a table) fails every page, so it is not healthy.
"""

import logging
import time
from functools import lru_cache

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, router
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.http import JsonResponse
from pymongo import MongoClient
from pymongo.errors import PyMongoError

from librechat.routers import LIBRECHAT_ALIAS

logger = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _mongo_ping_client(uri: str, timeout_ms: int) -> MongoClient:
    # Its own client with a short timeout: the ORM's waits MONGO_TIMEOUT_MS, which is meant for
    # pages, and a health check must answer before the checker gives up.
    return MongoClient(
        uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms, socketTimeoutMS=timeout_ms
    )


class SchemaNotReady(Exception):
    """Our database answers but lacks tables or migrations this code needs."""


@lru_cache(maxsize=1)
def _expected_schema() -> tuple[frozenset, frozenset]:
    """(the latest migration of each app, every table of ours): read from the code once per process."""
    leaves = frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.leaf_nodes())
    tables = frozenset(
        model._meta.db_table
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy and router.allow_migrate_model(DEFAULT_DB_ALIAS, model)
    )
    return leaves, tables


def _timed(check) -> dict:
    started = time.perf_counter()
    reason = ""
    try:
        check()
    except (DatabaseError, PyMongoError) as exc:
        logger.warning("health check failed: %s", type(exc).__name__)
        status = "error"
    except SchemaNotReady as exc:
        logger.warning("health check failed: %s", exc)
        status, reason = "error", str(exc)
    else:
        status = "ok"
    result = {"status": status, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}
    return {**result, "reason": reason} if reason else result


def _check_default() -> None:
    """Two cheap queries: the table list, and which of the latest migrations are recorded."""
    leaves, tables = _expected_schema()
    connection = connections[DEFAULT_DB_ALIAS]
    recorder = MigrationRecorder(connection)
    if missing := {*tables, recorder.Migration._meta.db_table} - set(connection.introspection.table_names()):
        raise SchemaNotReady(f"{len(missing)} tables missing: run manage.py migrate")
    applied = set(recorder.migration_qs.values_list("app", "name"))
    if not leaves <= applied:
        raise SchemaNotReady("migrations not applied: run manage.py migrate")


def _ping_librechat() -> None:
    uri = connections[LIBRECHAT_ALIAS].settings_dict["HOST"]
    _mongo_ping_client(uri, settings.HEALTH_TIMEOUT_MS).admin.command("ping")


def database_health() -> dict:
    """The status and latency of each database, and "ok" overall only when all answer."""
    databases = {"default": _timed(_check_default), LIBRECHAT_ALIAS: _timed(_ping_librechat)}
    healthy = all(result["status"] == "ok" for result in databases.values())
    return {"status": "ok" if healthy else "error", "databases": databases}


class HealthMiddleware:
    """Answers GET /health ahead of every other middleware.

    Being first, it needs no Host header from ALLOWED_HOSTS (the image's HEALTHCHECK calls
    127.0.0.1), is not redirected to HTTPS, and needs no session or login.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.rstrip("/") != "/health" or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        health = database_health()
        response = JsonResponse(health, status=200 if health["status"] == "ok" else 503)
        response["Cache-Control"] = "no-store"
        return response
