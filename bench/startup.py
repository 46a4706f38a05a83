"""Start-up cost of the production requirements: `manage.py help` and one gunicorn worker.

Run it with the Python of the environment to measure (e.g. a venv with only requirements.txt):
    /tmp/prod-venv/bin/python bench/startup.py
Prints the median wall time and peak RSS of a bare `manage.py help`, and the resident memory of
a gunicorn worker after it served the admin login page.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RUNS = 5


def measure_manage_help(env: dict) -> tuple[float, float, float]:
    """Median wall seconds, CPU seconds and peak RSS (MB) of `python manage.py help`.

    CPU time (user + system) is the steadier figure on a shared machine; wall time varies with load.
    """
    seconds, cpu_seconds, peaks_mb = [], [], []
    for _ in range(RUNS):
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "manage.py", "help"], cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds.append(time.perf_counter() - started)
        cpu_seconds.append(usage.ru_utime + usage.ru_stime)
        peaks_mb.append(usage.ru_maxrss / 1024)
        assert os.waitstatus_to_exitcode(status) == 0
    return statistics.median(seconds), statistics.median(cpu_seconds), statistics.median(peaks_mb)


def worker_rss_mb(master_pid: int) -> float:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    status = Path(f"/proc/{children[0]}/status").read_text()
    rss_kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))
    return int(rss_kb) / 1024


def measure_gunicorn_worker(env: dict, port: int = 8765) -> float:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "balancemgr.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=BASE_DIR,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        return worker_rss_mb(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        env = {
            **os.environ,
            "DEBUG": "true",
            "DATABASE_URL": f"sqlite:///{scratch}/bench.sqlite3",
            "MONGO_URI": "mongodb://127.0.0.1:9/LibreChat",
        }
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=BASE_DIR, env=env, check=True)
        seconds, cpu_seconds, peak_mb = measure_manage_help(env)
        print(
            f"manage.py help (median of {RUNS}): {seconds * 1000:.0f} ms wall, {cpu_seconds * 1000:.0f} ms CPU, "
            f"peak RSS {peak_mb:.1f} MB"
        )
        print(f"gunicorn worker after /admin/login/: RSS {measure_gunicorn_worker(env):.1f} MB")
        numpy = subprocess.run(
            [sys.executable, "-c", "import openpyxl, sys; print('numpy' in sys.modules)"],
            capture_output=True,
            text=True,
        )
        print(f"openpyxl imports numpy: {numpy.stdout.strip()}")


if __name__ == "__main__":
    main()
