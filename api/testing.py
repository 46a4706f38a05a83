"""This project served by gunicorn on a loopback port, for tests across processes and for bench/api.py."""

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from librechat.embedded_mongo import free_port

BASE_DIR = Path(__file__).resolve().parent.parent


def production_env(workdir: Path, mongo_uri: str, **extra: str) -> dict:
    """Production-like settings (DEBUG off, a SECRET_KEY) on a throw-away SQLite file."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "balancemgr.settings",
        "DEBUG": "false",
        "SECRET_KEY": "loopback-only-" + "x" * 40,
        "DATABASE_URL": f"sqlite:///{workdir / 'balancemgr.sqlite3'}",
        "MONGO_URI": mongo_uri,
        "ALLOWED_HOSTS": "127.0.0.1",
        # Required with DEBUG off (balancemgr.E010, E011); the credit-request mails are not used here.
        "WEBHOOK_SECRET": "loopback-only-" + "y" * 40,
        "WEBHOOK_BASE_URL": "http://127.0.0.1/",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def migrate_and_create_key(env: dict, name: str, scopes: str) -> str:
    """Migrate the database of `env` and return a new API key for it, in one process to save a start-up."""
    code = (
        "import django; django.setup(); from django.core.management import call_command; "
        f"call_command('migrate', verbosity=0); call_command('create_api_key', {name!r}, '--scopes', {scopes!r})"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )
    if result.returncode:
        raise RuntimeError(f"migrate or create_api_key failed: {result.stderr[-2000:]}")
    return result.stdout.strip()


def scratch_directory() -> tempfile.TemporaryDirectory:
    """A temporary directory in memory where Linux offers one: SQLite's fsyncs cost seconds on disk."""
    return tempfile.TemporaryDirectory(prefix="balancemgr-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None)


def start_gunicorn(env: dict, *, workers: int = 2, timeout_seconds: float = 30) -> tuple[subprocess.Popen, str]:
    """gunicorn serving balancemgr.wsgi on 127.0.0.1; (process, base URL) once it accepts connections."""
    port = free_port()
    # --preload: workers fork with Django loaded, so the first requests do not pay for imports.
    options = ["--workers", str(workers), "--preload", "--log-level", "warning", "--no-control-socket"]
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "balancemgr.wsgi", "--bind", f"127.0.0.1:{port}", *options],
        cwd=BASE_DIR,
        env=env,
    )
    deadline = time.monotonic() + timeout_seconds
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, f"http://127.0.0.1:{port}"
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                stop(process)
                raise RuntimeError(f"gunicorn did not start on port {port}") from None
            time.sleep(0.1)


def stop(process: subprocess.Popen) -> None:
    process.terminate()  # gunicorn's graceful stop: workers finish their request and close cleanly

    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
