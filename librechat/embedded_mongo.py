"""The embedded MongoDB-compatible server (SecantusDB) used by the demo, the tests and bench/."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_command() -> str:
    """The server launcher, preferring the one installed next to this Python."""
    beside_python = Path(sys.executable).with_name("secantusd-py")
    return str(beside_python) if beside_python.exists() else shutil.which("secantusd-py") or "secantusd-py"


def start_embedded_mongo(storage_path: str, port: int, timeout_seconds: float = 30) -> subprocess.Popen:
    """Start the server on 127.0.0.1:`port` and return once it answers a ping."""
    process = subprocess.Popen(
        [server_command(), "--storage-path", storage_path, "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    client = MongoClient(f"mongodb://127.0.0.1:{port}/", serverSelectionTimeoutMS=500)
    deadline = time.monotonic() + timeout_seconds
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"secantusd-py exited: {process.stderr.read().decode()[-2000:]}")
            try:
                client.admin.command("ping")
                return process
            except PyMongoError:
                if time.monotonic() > deadline:
                    process.terminate()
                    raise RuntimeError(f"secantusd-py did not answer on port {port}") from None
    finally:
        client.close()


def stop_embedded_mongo(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
