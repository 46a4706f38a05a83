"""/health: is each database answering, and how fast. For the image's HEALTHCHECK and monitors."""

import logging
import time
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import JsonResponse
from django.utils import timezone
from pymongo import MongoClient
from pymongo.errors import PyMongoError

from alerts.models import WorkerHeartbeat
from librechat.routers import LIBRECHAT_ALIAS

logger = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _mongo_ping_client(uri: str, timeout_ms: int) -> MongoClient:
    # Its own client with a short timeout: the ORM's waits MONGO_TIMEOUT_MS, which is meant for
    # pages, and a health check must answer before the checker gives up.
    return MongoClient(
        uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms, socketTimeoutMS=timeout_ms
    )


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        check()
    except (DatabaseError, PyMongoError) as exc:
        logger.warning("health check failed: %s", type(exc).__name__)
        status = "error"
    else:
        status = "ok"
    return {"status": status, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


def _ping_default() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def _ping_librechat() -> None:
    uri = connections[LIBRECHAT_ALIAS].settings_dict["HOST"]
    _mongo_ping_client(uri, settings.HEALTH_TIMEOUT_MS).admin.command("ping")


def database_health() -> dict:
    """The status and latency of each database, and "ok" overall only when all answer."""
    databases = {"default": _timed(_ping_default), LIBRECHAT_ALIAS: _timed(_ping_librechat)}
    healthy = all(result["status"] == "ok" for result in databases.values())
    return {"status": "ok" if healthy else "error", "databases": databases, "worker": worker_health()}


def worker_health() -> dict:
    """When the worker last ran its heartbeat; informative only, so a stopped worker never restarts the web."""
    try:
        seen_at = WorkerHeartbeat.last_seen()
    except DatabaseError:
        return {"status": "unknown", "last_seen": None}
    if seen_at is None:
        return {"status": "unknown", "last_seen": None}
    silent = timezone.now() - seen_at >= timedelta(minutes=settings.ALERT_WORKER_SILENT_MINUTES)
    return {"status": "silent" if silent else "ok", "last_seen": seen_at.isoformat()}


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
