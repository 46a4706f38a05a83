"""`bulk_topup --all --add` over 20,000 and 100,000 users, each run as its own process:
wall time ratio between the sizes (target: <= 6x, i.e. linear), MongoDB round trips (target:
batches, not one per user) and the command's peak memory (target: under 150 MB at 100,000).
Other sizes: `bulk_cli.py 10000 50000` (on a busy machine)."""

import os
import subprocess
import sys
import time

import harness

SIZES = [20_000, 100_000]


def requests_served(database) -> int:
    """Requests the server has answered; includes the driver's heartbeats, about one per 10 s."""
    return database.command("serverStatus")["network"]["numRequests"]


def run_bulk_topup(batch_id: str) -> tuple[float, int]:
    """(wall seconds, peak resident MB) of one `manage.py bulk_topup` process."""
    started = time.perf_counter()
    command = [sys.executable, "manage.py", "bulk_topup", "--all", "--add", "1000", "--yes", "--batch-id", batch_id]
    process = subprocess.Popen(command, cwd=harness.ROOT, env=os.environ, stdout=subprocess.DEVNULL)
    peak_kb = 0
    while process.poll() is None:
        peak_kb = max(peak_kb, own_peak_rss_kb(process.pid))
        time.sleep(0.2)
    assert process.returncode == 0, process.returncode
    return time.perf_counter() - started, peak_kb / 1024


def own_peak_rss_kb(pid: int) -> int:
    """The process's own high-water RSS (VmHWM), 0 once it is gone.

    Not getrusage(RUSAGE_CHILDREN): Linux carries the parent's peak RSS into a child's ru_maxrss
    at exec, so it reported this bench's own peak (seeding 100,000 users) as the command's.
    """
    try:
        with open(f"/proc/{pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    except (FileNotFoundError, ProcessLookupError, StopIteration):
        return 0


def main() -> None:
    harness.start()
    from librechat.mongo import librechat_db

    database = librechat_db()
    sizes = [int(size) for size in sys.argv[1:3]] or SIZES
    results = {}
    seeded = 0
    for seed, size in enumerate(sizes, start=1):
        harness.seed(size - seeded, seed=seed)
        seeded = size
        before = requests_served(database)
        wall, peak_mb = run_bulk_topup(f"bench-{size}")
        results[size] = (wall, requests_served(database) - before - 1, peak_mb)

    print("bulk_topup --all --add 1000 --yes (one process each)")
    for size, (wall, requests, peak_mb) in results.items():
        print(f"  {size:>7} users: {wall:6.1f} s, {requests} MongoDB requests, peak RSS {peak_mb:.0f} MB")
    small, large = sizes
    ratio = results[large][0] / results[small][0]
    print(f"  time ratio {large}:{small} = {ratio:.2f}x (target <= 6x; {large // small}x the users)")


if __name__ == "__main__":
    main()
