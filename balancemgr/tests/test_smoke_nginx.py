"""Production settings under the prefix behind a real nginx, driven by headless Chromium.

Marked `smoke` and left out of the default run (it collects static files and starts nginx and
gunicorn); `.ci/run` runs it with `pytest -m smoke`. nginx uses deploy/nginx-location.conf,
the block the README tells operators to paste, with only the upstream address changed.
"""

import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect
from pymongo import MongoClient

from librechat import documents
from librechat.embedded_mongo import free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CHROMIUM = Path("/usr/bin/chromium")
PREFIX = "/balance-manager"
pytestmark = [
    pytest.mark.smoke,
    pytest.mark.skipif(not Path(NGINX).exists(), reason="Debian's nginx is not installed (.ci/run installs it)"),
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


def wait_for(url: str, timeout_seconds: float = 60) -> None:
    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@pytest.fixture
def librechat_uri():
    """A LibreChat database of its own on the session's test MongoDB, with one user."""
    server = settings.DATABASES["librechat"]["HOST"].rsplit("/", 1)[0]
    uri = f"{server}/smoke_LibreChat"
    with MongoClient(uri) as client:
        database = client.get_default_database()
        user = documents.user("alice@example.com", name="Alice Smoke", username="alice", role="USER")
        database.users.insert_one(user)
        database.balances.insert_one(documents.balance(user["_id"], 1_000_000))
        yield uri
        client.drop_database(database.name)


@pytest.fixture
def app_behind_nginx(tmp_path, librechat_uri):
    """gunicorn with production settings, and nginx in front of it; yields nginx's base URL."""
    app_port, nginx_port = free_port(), free_port()
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "smoke-test-only-" + "k" * 40,
        "BASE_PATH": PREFIX,
        "TRUST_PROXY": "true",
        "ALLOWED_HOSTS": "127.0.0.1",
        "STATIC_MANIFEST": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path}/smoke.sqlite3",
        "MONGO_URI": librechat_uri,
        "PORT": str(app_port),
        "GUNICORN_WORKERS": "2",
        "DJANGO_SUPERUSER_USERNAME": "root",
        "DJANGO_SUPERUSER_EMAIL": "root@example.com",
        "DJANGO_SUPERUSER_PASSWORD": "correct horse battery",
        "WEBHOOK_SECRET": "smoke-test-webhook-secret-" + "w" * 40,
        "WEBHOOK_BASE_URL": f"http://127.0.0.1/{PREFIX.strip('/')}",
        "NOTIFY_TO": "admins@example.com",
        "EMAIL_URL": "dummymail://",
    }
    manage = [sys.executable, "manage.py"]
    for command in (["collectstatic", "--noinput", "-v0"], ["migrate", "-v0"], ["createsuperuser", "--noinput"]):
        subprocess.run(manage + command, cwd=settings.BASE_DIR, env=env, check=True, capture_output=True)

    location = (settings.BASE_DIR / "deploy" / "nginx-location.conf").read_text()
    location = location.replace("http://balancemgr:8000/", f"http://127.0.0.1:{app_port}/")
    (tmp_path / "nginx.conf").write_text(
        f"""
        worker_processes 1;
        pid {tmp_path}/nginx.pid;
        error_log {tmp_path}/nginx-error.log;
        events {{ worker_connections 64; }}
        http {{
            access_log {tmp_path}/nginx-access.log;
            client_body_temp_path {tmp_path}/client-body;
            proxy_temp_path {tmp_path}/proxy;
            fastcgi_temp_path {tmp_path}/fastcgi;
            uwsgi_temp_path {tmp_path}/uwsgi;
            scgi_temp_path {tmp_path}/scgi;
            server {{
                listen 127.0.0.1:{nginx_port};
                {location}
            }}
        }}
        """
    )
    if os.geteuid() == 0:
        tmp_path.chmod(0o755)  # nginx's workers run as nobody
    gunicorn_command = [str(Path(sys.executable).with_name("gunicorn")), "--config", "python:balancemgr.gunicorn_conf"]
    gunicorn = subprocess.Popen(
        # The image's config binds every interface (a container's); a test server stays on loopback.
        [*gunicorn_command, "--bind", f"127.0.0.1:{app_port}", "balancemgr.wsgi"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=(tmp_path / "gunicorn.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    nginx = subprocess.Popen(
        [NGINX, "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "nginx-error.log"), "-g", "daemon off;"]
    )
    try:
        base_url = f"http://127.0.0.1:{nginx_port}"
        wait_for(f"http://127.0.0.1:{app_port}/health")
        wait_for(f"{base_url}{PREFIX}/health")
        yield base_url
    finally:
        for process in (nginx, gunicorn):
            process.terminate()
            process.wait(timeout=20)


@pytest.fixture
def page(tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        page = browser.new_page()
        page.csp_messages = []
        page.failed_responses = []
        page.on(
            "console",
            lambda message: (
                "Content Security Policy" in message.text
                and page.csp_messages.append(f"{page.url}: {message.text} {message.location}")
            ),
        )
        page.on("response", lambda response: response.status >= 400 and page.failed_responses.append(response.url))
        yield page
        browser.close()


def test_an_admin_logs_in_and_tops_up_under_the_prefix_behind_nginx(app_behind_nginx, page, tmp_path):
    page.goto(f"{app_behind_nginx}{PREFIX}/")
    assert page.url.startswith(f"{app_behind_nginx}{PREFIX}/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "correct horse battery")
    page.click("input[type=submit]")
    expect(page).to_have_url(f"{app_behind_nginx}{PREFIX}/admin/")
    page.screenshot(path=tmp_path / "index.png", full_page=True)

    page.click(f"a[href='{PREFIX}/admin/balances/balance/']")
    expect(page.locator("#result_list")).to_contain_text("alice@example.com")
    stylesheets = page.eval_on_selector_all("link[rel=stylesheet]", "links => links.map(link => link.href)")
    assert stylesheets and all(re.search(rf"{PREFIX}/static/.+\.[0-9a-f]{{12}}\.css$", href) for href in stylesheets)
    page.screenshot(path=tmp_path / "balances.png", full_page=True)

    page.check("input.action-select")
    page.select_option("select[name=action]", "top_up")
    page.click("button[name=index]")
    page.check("input[name=amount_preset][value='1000000']")
    page.click("input[value=Review]")
    page.screenshot(path=tmp_path / "confirm.png", full_page=True)
    page.click("input[value='Yes, apply']")
    expect(page.locator("ul.messagelist")).to_contain_text("Added 1,000,000 credits")
    expect(page.locator("#result_list")).to_contain_text("2,000,000")

    page.click("#result_list a:text('alice@example.com')")
    expect(page).to_have_url(re.compile(rf"{PREFIX}/admin/balances/balance/\w+/change/"))
    page.click("a:text('alice@example.com')")  # the balance page links to the user's page
    expect(page).to_have_url(re.compile(rf"{PREFIX}/admin/balances/librechatuser/\w+/change/"))
    page.screenshot(path=tmp_path / "user.png", full_page=True)

    page.goto(f"{app_behind_nginx}{PREFIX}/admin/balances/balance/export/")
    first_field = page.locator(".selectable-field-export-row input[type=checkbox]").first
    page.uncheck("input.select-toggle")
    assert not first_field.is_checked(), "the Select all toggle works despite its blocked inline handler"
    page.check("input.select-toggle")
    assert first_field.is_checked()
    page.screenshot(path=tmp_path / "export.png", full_page=True)

    # The public request page and the API's docs, under the prefix behind the same nginx.
    page.goto(f"{app_behind_nginx}{PREFIX}/request/")
    page.fill("#id_email", "alice@example.com")
    page.fill("#id_reference", "JOB-7")
    page.fill("#id_reason", "smoke test")
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{app_behind_nginx}{PREFIX}/request/sent/")
    page.screenshot(path=tmp_path / "request-sent.png", full_page=True)
    with sqlite3.connect(tmp_path / "smoke.sqlite3") as database:
        assert database.execute("select email, reference from requests_app_creditrequest").fetchall() == [
            ("alice@example.com", "JOB-7")
        ]
    with page.expect_response(lambda response: response.url.endswith(f"{PREFIX}/api/openapi.json")) as spec:
        page.goto(f"{app_behind_nginx}{PREFIX}/api/docs")
    assert spec.value.status == 200 and f"{PREFIX}/api/balance/admin/get-balance" in spec.value.json()["paths"]
    page.wait_for_selector(".swagger-ui .opblock")
    page.screenshot(path=tmp_path / "api-docs.png", full_page=True)
    assert page.failed_responses == []
    # Only the export page's own inline attributes (django-import-export's template) are blocked;
    # our static files make up for them. Nothing else may be.
    unexpected = [text for text in page.csp_messages if "/export/" not in text.split(": ", 1)[0]]
    assert unexpected == [], unexpected
