"""`bin/demo` stopped as a service manager stops it (SIGTERM) frees its ports for the next run."""

import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings

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
