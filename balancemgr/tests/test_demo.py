"""`bin/demo`: management commands reach it through the line it prints, stopped as a service manager
stops it (SIGTERM) it frees its ports for the next run, and its admin mail shows in its console."""

import csv
import http.cookiejar
import io
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request

import pytest
from django.conf import settings
from pymongo import MongoClient

from librechat.embedded_mongo import free_port

# What a newcomer's shell holds: none of the settings the demo chose.
DEMO_SETTINGS = ("MONGO_URI", "DATABASE_URL", "DEBUG", "USAGE_CHUNK_HOURS")


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo on free ports with three users, started once for this module (the last test stops it);
    yields (process, web port, mongo port, its data folder)."""
    tmp_path = tmp_path_factory.mktemp("demo")
    web_port, mongo_port = free_port(), free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "DEBUG": "1",
        "PYTHONUNBUFFERED": "1",
    }
    arguments = ["--port", str(web_port), "--mongo-port", str(mongo_port), "--users", "3", "--data-dir", str(tmp_path)]
    output = tmp_path / "demo.log"
    with output.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "demo", *arguments],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group, so that a failed test leaves no server behind
        )
    try:
        deadline = time.monotonic() + 120
        while port_is_free(web_port) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.5)
        assert not port_is_free(web_port), f"the demo did not start: {output.read_text()}"
        yield process, web_port, mongo_port, tmp_path
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def test_the_printed_command_line_runs_management_commands_against_the_running_demo_and_its_readme_user(demo):
    _, _, mongo_port, data_dir = demo
    output = (data_dir / "demo.log").read_text()
    [command_line] = re.findall(r"Management commands against this demo: (.*) list_balances", output)
    newcomer_env = {name: value for name, value in os.environ.items() if name not in DEMO_SETTINGS}

    listed = subprocess.run(
        f"{command_line} list_balances --format csv",
        shell=True,
        cwd=settings.BASE_DIR,
        env=newcomer_env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert listed.returncode == 0, listed.stderr
    rows = list(csv.DictReader(io.StringIO(listed.stdout)))
    assert len(rows) == 3 + 1, "the demo's three users and the user the README's examples name"
    assert [row["credits"] for row in rows if row["email"] == "alice@example.com"] == ["20000"]
    assert f"127.0.0.1:{mongo_port}" in (data_dir / "demo.env").read_text()


def test_it_starts_without_warnings_and_sigterm_stops_the_web_server_the_worker_and_mongodb(demo):
    process, web_port, mongo_port, data_dir = demo
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert port_is_free(web_port) and port_is_free(mongo_port)
    output = (data_dir / "demo.log").read_text()
    assert "Stopped." in output and "Traceback" not in output
    assert "WARNINGS" not in output, "the README promises mail to the superuser: no W010"
    assert not (data_dir / "demo.env").exists(), "bin/manage must not reach a demo that is gone"


@pytest.mark.slow
def test_a_request_on_the_demo_mails_the_demo_superuser_in_the_console(tmp_path):
    web_port, mongo_port = free_port(), free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}", "DEBUG": "1", "NOTIFY_TO": ""}
    arguments = ["--port", str(web_port), "--mongo-port", str(mongo_port), "--users", "3", "--data-dir", str(tmp_path)]
    demo = subprocess.Popen(
        [sys.executable, "manage.py", "demo", *arguments],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(iter(demo.stdout.readline, "")), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        while port_is_free(web_port) and time.monotonic() < deadline:
            time.sleep(0.5)
        with MongoClient(f"mongodb://127.0.0.1:{mongo_port}") as mongo:
            email = mongo.LibreChat.users.find_one({}, {"email": 1})["email"]
        assert (
            post_request_form(f"http://127.0.0.1:{web_port}/request/", email)
            == f"http://127.0.0.1:{web_port}/request/sent/"
        )
        deadline = time.monotonic() + 60
        while f"Subject: Credit request from {email}" not in "".join(output) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert f"Subject: Credit request from {email}" in "".join(output), "the worker printed the admin mail"
        assert "To: admin@example.com" in "".join(output)
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=30)


def post_request_form(url: str, email: str) -> str:
    """GET the form for its CSRF cookie, POST a request; returns the URL it ends on."""
    cookies = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))
    opener.open(url, timeout=30).read()
    token = next(cookie.value for cookie in cookies if cookie.name == "csrftoken")
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "email": email, "reference": "DEMO-1"}).encode()
    with opener.open(urllib.request.Request(url, data=form), timeout=30) as response:
        return response.url
