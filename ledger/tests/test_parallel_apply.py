"""One batch applied by many at once: threads in one process, and an admin apply posted again and
again to two gunicorn workers. Each user gets the change once, nobody sees an error, and every
audit row agrees with LibreChat's data.

The threads run in a child process on a SQLite file, as the product runs, rather than on
pytest-django's in-memory test database, whose sharing between threads is a test artefact.
"""

import contextlib
import http.cookiejar
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser

import pytest

from ledger.tests.ledger_processes import (
    ROOT,
    assert_consistent,
    command_env,
    manage,
    migrated_sqlite,
    mongo_database,
    own_database_uri,
    seed_users,
)
from librechat.embedded_mongo import free_port

THREADS = 8
AMOUNTS = {"add": 3_000_000, "set": 2_000_000}


@pytest.fixture(scope="module")
def template_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("migrated")


@pytest.fixture
def ledger(tmp_path, template_dir):
    uri = own_database_uri("parallel")
    database = mongo_database(uri)
    seeded = seed_users(database, [1_000_000, 0, None, 2_500_000, 40, 7, 99, 1_000_001, 5, 6])
    sqlite_path = migrated_sqlite(template_dir, tmp_path / "balancemgr.sqlite3")
    yield database, sqlite_path, seeded, uri
    database.client.drop_database(database.name)
    database.client.close()


def race_in_threads(how: str, kind: str, batch_id: str) -> dict:
    """Run in the child process: THREADS threads submit the same batch at the same moment.

    `run_batch`: each opens the batch for every user and applies it until it is complete (as
    parallel submits and a resuming worker do); `change_one`: each applies the same single change
    to the first user (a double click). Returns the exceptions that escaped, and what callers saw.
    """
    from ledger.changes import LedgerError, change_one, open_batch, run_batch, targets_for_emails
    from ledger.models import ChangeBatch
    from librechat.models import LibreChatUser

    targets, _, _ = targets_for_emails(LibreChatUser.objects.values_list("email", flat=True))
    operation = {
        "kind": kind,
        "amount_credits": AMOUNTS[kind],
        "source": ChangeBatch.Source.ADMIN,
        "actor": "alice",
        "batch_id": batch_id,
    }
    start, lock = threading.Barrier(THREADS), threading.Lock()
    seen = {"escaped": [], "busy": 0, "refused": [], "applied": set()}

    def submit() -> None:
        start.wait()
        try:
            if how == "change_one":
                change = change_one(min(targets, key=lambda t: t.email), **operation)
                with lock:
                    seen["applied"].add((change.pk, change.delta_credits))
                return
            for _ in range(50):
                outcome = run_batch(open_batch(**operation, targets=targets), chunk_size=2)
                with lock:
                    seen["busy"] += outcome.busy
                if outcome.complete:
                    return
                time.sleep(0.05)
            raise AssertionError(f"never complete: {outcome}")
        except LedgerError as exc:  # a person's message: "being applied right now, retry"
            with lock:
                seen["refused"].append(str(exc))
        except BaseException as exc:
            with lock:
                seen["escaped"].append(repr(exc))
        finally:
            from django.db import connections

            connections.close_all()

    workers = [threading.Thread(target=submit) for _ in range(THREADS)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return {**seen, "applied": sorted(seen["applied"])}


def set_by_two_runners_out_of_step() -> dict:
    """Run in the child process: runner A applies a set and is held just after its balance write;
    runner B, holding the change as it was before A recorded anything (as a runner whose lease
    lapsed does), applies it then. Returns the exceptions that escaped."""
    import os

    from ledger.changes import Kind, open_batch, run_batch, targets_for_emails
    from ledger.models import ChangeBatch
    from ledger.writes import CHANGE_MARKER, apply_set
    from librechat.mongo import librechat_db

    targets, _, _ = targets_for_emails(["user0@example.com"])  # 1,000,000 credits
    batch = open_batch(
        kind=Kind.SET, amount_credits=AMOUNTS["set"], source=ChangeBatch.Source.ADMIN, actor="alice", targets=targets
    )
    unrecorded = batch.changes.get()
    os.environ.update(LEDGER_TEST_PAUSE_AT="set:after-balance", LEDGER_TEST_PAUSE_SECONDS="2")
    escaped = []

    def runner_a() -> None:
        try:
            run_batch(batch)
        except BaseException as exc:
            escaped.append(repr(exc))

    first = threading.Thread(target=runner_a)
    first.start()
    while not librechat_db().balances.find_one({"user": targets[0].user_id, f"{CHANGE_MARKER}.id": {"$exists": True}}):
        time.sleep(0.02)
    try:
        apply_set(unrecorded, Kind.SET)
    except BaseException as exc:
        escaped.append(repr(exc))
    first.join()
    return {"escaped": escaped}


def run_race(how: str, kind: str, sqlite_path, uri: str, lease_seconds: str) -> dict:
    env = {
        **command_env(sqlite_path, uri, LEDGER_LEASE_SECONDS=lease_seconds),
        "DJANGO_SETTINGS_MODULE": "balancemgr.settings",
    }
    call = f"race_in_threads({how!r}, {kind!r}, 'race')" if how != "out_of_step" else "set_by_two_runners_out_of_step()"
    code = (
        "import django, json; django.setup(); "
        f"from ledger.tests.test_parallel_apply import *; print(json.dumps({call}))"
    )
    child = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, child.stderr
    return json.loads(child.stdout.splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["add", "set"])
@pytest.mark.parametrize(
    "lease_seconds",
    # "0": every lease lapses at once, so runners overlap as when one stalls past its lease.
    ["60", "0"],
)
def test_threads_running_one_batch_apply_it_once(ledger, kind, lease_seconds):
    database, sqlite_path, seeded, uri = ledger

    seen = run_race("run_batch", kind, sqlite_path, uri, lease_seconds)

    assert seen["escaped"] == [] and seen["refused"] == []
    if lease_seconds == "60":
        assert seen["busy"] > 0, "the others were told the batch is being applied"
    rows = assert_consistent(database, sqlite_path, seeded)
    assert len(rows) == len(seeded.emails) and {row["status"] for row in rows} == {"applied"}
    if kind == "add":
        assert {row["delta_credits"] for row in rows} == {3_000_000}
    else:
        assert {row["after_credits"] for row in rows} == {2_000_000}


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["add", "set"])
def test_threads_applying_one_change_at_once_apply_it_once(ledger, kind):
    database, sqlite_path, seeded, uri = ledger

    seen = run_race("change_one", kind, sqlite_path, uri, "60")

    assert seen["escaped"] == []
    assert all("Retry with batch id race" in message for message in seen["refused"])
    assert len(seen["applied"]) == 1 and len(seen["refused"]) < THREADS
    rows = assert_consistent(database, sqlite_path, seeded)
    assert [row["status"] for row in rows] == ["applied"]


class _FormFields(HTMLParser):
    """The fields a browser would post from a page's forms (hidden inputs and checked radios)."""

    def __init__(self):
        super().__init__()
        self.fields: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        wanted = attributes.get("type") in ("hidden", "text") or "checked" in attributes
        if tag == "input" and attributes.get("name") and wanted:
            self.fields.append((attributes["name"], attributes.get("value") or ""))


class AdminSession:
    """A logged-in browser session against a running server, with the stdlib only; never follows redirects."""

    class _NoRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base_url: str, username: str, password: str):
        self.base_url, self.cookies = base_url, http.cookiejar.CookieJar()
        login_page = self.request("/admin/login/")
        assert login_page[0] == 200
        status, _ = self.request("/admin/login/", {"username": username, "password": password, "next": "/admin/"})
        assert status == 302, "logged in"

    def request(self, path: str, fields: dict | list | None = None) -> tuple[int, str]:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), self._NoRedirects)
        body = None
        if fields is not None:
            csrf = next(cookie.value for cookie in self.cookies if cookie.name == "csrftoken")
            items = list(fields.items()) if isinstance(fields, dict) else list(fields)
            body = urllib.parse.urlencode([*items, ("csrfmiddlewaretoken", csrf)], doseq=True).encode()
        try:
            with opener.open(self.base_url + path, body, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def form_fields(self, page: str) -> list[tuple[str, str]]:
        parser = _FormFields()
        parser.feed(page)
        return [(name, value) for name, value in parser.fields if name != "csrfmiddlewaretoken"]


@contextlib.contextmanager
def gunicorn(env: dict, workers: int = 2):
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "balancemgr.wsgi", "-w", str(workers), "-b", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base_url + "/admin/login/", timeout=5).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        yield base_url
    finally:
        server.terminate()
        _, log = server.communicate(timeout=30)
        assert "Traceback" not in log, log


@pytest.mark.smoke
def test_one_reviewed_apply_posted_many_times_to_two_gunicorn_workers_applies_once(ledger):
    database, sqlite_path, seeded, uri = ledger
    env = {
        **command_env(sqlite_path, uri, LEDGER_LEASE_SECONDS="60"),
        "DJANGO_SUPERUSER_USERNAME": "root",
        "DJANGO_SUPERUSER_PASSWORD": "a long test password",
        "DJANGO_SUPERUSER_EMAIL": "root@example.com",
    }
    assert manage("createsuperuser", "--noinput", env=env).returncode == 0
    balance_ids = [str(document["_id"]) for document in database.balances.find({"user": {"$in": list(seeded.emails)}})]
    statuses = []
    with gunicorn(env) as base_url:
        session = AdminSession(base_url, "root", "a long test password")
        for action, chosen in (("top_up", {"preset": "5000000"}), ("set_balance", {"amount": "2000000"})):
            selection = {"action": action, "index": "0", "_selected_action": balance_ids}
            status, choose_page = session.request("/admin/balances/balance/", selection)
            assert status == 200
            fields = dict(session.form_fields(choose_page))
            status, review_page = session.request(
                "/admin/balances/balance/",
                [*selection.items(), *chosen.items(), ("batch_id", fields["batch_id"]), ("step", "choose")],
            )
            assert status == 200 and 'name="review_token"' in review_page
            apply_fields = session.form_fields(review_page)

            start = threading.Barrier(THREADS)

            def post_apply(fields=apply_fields, start=start):
                start.wait()
                statuses.append(session.request("/admin/balances/balance/", fields)[0])

            posts = [threading.Thread(target=post_apply) for _ in range(THREADS)]
            for post in posts:
                post.start()
            for post in posts:
                post.join()

    # Every apply ends on the changelist with a message (applied, already applied, or in progress).
    assert statuses == [302] * 2 * THREADS, statuses
    rows = assert_consistent(database, sqlite_path, seeded)
    batches = {row["batch_name"] for row in rows}
    assert len(batches) == 2 and len(rows) == 2 * len(balance_ids)
    assert {row["status"] for row in rows} == {"applied"}


@pytest.mark.slow
def test_a_set_finished_by_a_runner_out_of_step_records_what_was_applied(ledger):
    database, sqlite_path, seeded, uri = ledger

    seen = run_race("out_of_step", "set", sqlite_path, uri, "60")

    assert seen["escaped"] == []
    rows = assert_consistent(database, sqlite_path, seeded)
    assert [(row["status"], row["after_credits"]) for row in rows] == [("applied", 2_000_000)]
    assert rows[0]["delta_credits"] == 2_000_000 - 1_000_000
