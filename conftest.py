"""Test session set-up: a real MongoDB wire server for LibreChat's collections.

By default a SecantusDB server is started in memory for the session; set MONGO_TEST_URI to
use a real MongoDB instead (its `test_LibreChat` database is created and dropped). Under
pytest-xdist each worker has its own server, or its own database (`test_LibreChat_gw0`, ...).
"""

import os
import tempfile
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connections
from django.test import TestCase
from django.test.testcases import connections_support_savepoints, connections_support_transactions
from playwright.sync_api import expect, sync_playwright
from pymongo.errors import InvalidOperation

from librechat.embedded_mongo import free_port, start_embedded_mongo, stop_embedded_mongo

CHROMIUM = Path("/usr/bin/chromium")
LIBRECHAT_COLLECTIONS = ("users", "balances", "transactions", "agents", "conversations", "messages")
_server = None


def pytest_configure(config):
    global _server
    # Browser assertions wait for the page (a click returns before the next page has loaded);
    # a loaded CI machine can take longer than Playwright's 5 s default.
    expect.set_options(timeout=15_000)
    if (
        config.pluginmanager.hasplugin("xdist")
        and config.getoption("numprocesses")
        and not hasattr(config, "workerinput")
    ):
        return  # the xdist controller runs no tests: its workers start their own servers
    worker = getattr(config, "workerinput", {}).get("workerid", "")
    uri = os.environ.get("MONGO_TEST_URI")
    if not uri:
        port = free_port()
        _server = start_embedded_mongo(":memory:", port)
        uri = f"mongodb://127.0.0.1:{port}/LibreChat"
    default = settings.DATABASES["default"]
    if default["ENGINE"].endswith("sqlite3"):
        # A file instead of shared-cache memory: there, a thread meeting another's lock fails at once
        # ("table is locked"), where a real SQLite file waits; the concurrency tests need the real behaviour.
        default.setdefault("TEST", {})["NAME"] = os.path.join(tempfile.mkdtemp(prefix="balancemgr-test-"), "db.sqlite3")
    # Settings are already loaded, so the alias itself is repointed (an env var is too late).
    settings.DATABASES["librechat"]["HOST"] = uri
    settings.DATABASES["librechat"]["NAME"] = f"LibreChat_{worker}" if worker else "LibreChat"
    settings.MONGO_URI = uri


# MongoDB's alias has no transactions (atomic() is a no-op there), and one such database makes
# Django's TestCase flush all of `default` after each test (half a second, for most of the suite).
# Roll back `default` as usual instead; the `mongo` fixture empties LibreChat's collections itself.
# A test that runs the worker (it closes connections) or calls the WSGI app itself says transaction=True.
_every_database_name = TestCase._databases_names.__func__


def _databases_but_librechat(cls, include_mirrors=True):
    return [alias for alias in _every_database_name(cls, include_mirrors) if alias != "librechat"]


TestCase._databases_names = classmethod(_databases_but_librechat)
TestCase._databases_support_transactions = classmethod(
    lambda cls: connections_support_transactions(cls._databases_names())
)
TestCase._databases_support_savepoints = classmethod(lambda cls: connections_support_savepoints(cls._databases_names()))


def pytest_unconfigure(config):
    if _server is not None:
        stop_embedded_mongo(_server)


@pytest.fixture
def mongo(request):
    """LibreChat's test database as a pymongo handle, emptied before the test."""
    from django.core.cache import cache

    from librechat.mongo import librechat_db

    database = librechat_db()
    try:
        database.command("ping")
    except InvalidOperation:
        # Something closed the backend's shared MongoClient (close_pool() or the client's close());
        # this thread's wrapper still holds it, and close() is a no-op for MongoDB: start a new one.
        wrapper = connections["librechat"]
        wrapper._connection_pools.pop("librechat", None)  # the backend's process-wide client, closed
        wrapper.connection = None
        wrapper.__dict__.pop("database", None)
        database = librechat_db()
    for name in LIBRECHAT_COLLECTIONS:
        database[name].delete_many({})
    cache.clear()  # answers kept about the previous test's LibreChat data
    return database


def _client_in_group(client, django_user_model, group_name: str):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(group_name, password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    client.force_login(user)
    return client


@pytest.fixture
def operator_client(client, django_user_model):
    """A staff member of the "operator" group: may change balances."""
    return _client_in_group(client, django_user_model, "operator")


@pytest.fixture
def viewer_client(client, django_user_model):
    """A staff member of the "viewer" group: may look and export only."""
    return _client_in_group(client, django_user_model, "viewer")


@pytest.fixture
def unreachable_mongo():
    """Point the `librechat` alias at a closed port for the test, then restore it."""
    from django.db import connections

    connection = connections["librechat"]
    saved = dict(connection.settings_dict)
    connection.close_pool()
    connection.settings_dict["HOST"] = f"mongodb://127.0.0.1:{free_port()}/LibreChat"
    connection.settings_dict["OPTIONS"] = {"serverSelectionTimeoutMS": 200, "connectTimeoutMS": 200}
    yield connection.settings_dict["HOST"]
    connection.close_pool()
    connection.settings_dict.clear()
    connection.settings_dict.update(saved)


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason="Debian's chromium is not installed (bin/test installs it)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def page():
    """A page in headless Debian Chromium driven by Playwright; mark the test `browser`."""
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # around it are still synchronous.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield browser.new_page()
        browser.close()


class Mailbox:
    """What a local SMTP server received (the `smtp_server` fixture)."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted"

    def messages_to(self, address: str) -> list:
        return [
            message_from_bytes(envelope.original_content, policy=policy.default)
            for envelope in self.envelopes
            if envelope.rcpt_tos == [address]
        ]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a free loopback port (aiosmtpd), with Django's SMTP backend pointed at it."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield mailbox
    controller.stop()
