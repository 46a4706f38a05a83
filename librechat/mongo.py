"""Access to LibreChat's MongoDB outside the ORM, and a readable reachability check."""

from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import connections
from pymongo.database import Database
from pymongo.errors import ConnectionFailure, PyMongoError

from librechat.routers import LIBRECHAT_ALIAS


def librechat_db() -> Database:
    """The pymongo database behind the `librechat` alias (for bulk writes the ORM cannot express)."""
    connection = connections[LIBRECHAT_ALIAS]
    connection.ensure_connection()
    return connection.database


def redacted_uri(uri: str) -> str:
    """The URI with any password replaced, safe to print and log."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def mongo_unreachable_reason() -> str | None:
    """One line saying why LibreChat's MongoDB cannot be used, or None when it answers."""
    try:
        librechat_db().command("ping")
    except PyMongoError as exc:
        return describe_mongo_error(exc)
    return None


def describe_mongo_error(exc: Exception) -> str:
    uri = redacted_uri(settings.DATABASES[LIBRECHAT_ALIAS]["HOST"])
    # pymongo appends timeouts and a topology dump; the first clause is the useful part.
    reason = str(exc)
    for tail in (" (configured timeouts", ", Timeout:", ", Topology Description"):
        reason = reason.split(tail)[0]
    return f"Cannot reach LibreChat's MongoDB at {uri} (MONGO_URI): {reason}"


def connection_failure_behind(exception: BaseException | None) -> ConnectionFailure | None:
    """The pymongo connection failure behind an exception (the ORM wraps it in DatabaseError)."""
    while exception is not None:
        if isinstance(exception, ConnectionFailure):
            return exception
        exception = exception.__cause__
    return None
