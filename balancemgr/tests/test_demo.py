"""`bin/demo`: stopped as a service manager stops it (SIGTERM) it frees its ports; its admin mail shows."""

import http.cookiejar
import os
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


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_sigterm_stops_the_web_server_the_worker_and_mongodb(tmp_path):
    web_port, mongo_port = free_port(), free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}", "DEBUG": "1"}
    arguments = ["--port", str(web_port), "--mongo-port", str(mongo_port), "--users", "3", "--data-dir", str(tmp_path)]
    demo = subprocess.Popen(
        [sys.executable, "manage.py", "demo", *arguments],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while port_is_free(web_port) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not port_is_free(web_port), "the demo did not start"
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=30) == 0
        assert port_is_free(web_port) and port_is_free(mongo_port)
    finally:
        if demo.poll() is None:
            demo.kill()
    output = demo.stdout.read()
    assert "Stopped." in output and "Traceback" not in output


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
