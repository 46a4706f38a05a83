"""What the ledger's idempotency guard costs a bulk top-up (target: at most 20% more time).

`bulk_topup --all --add` runs as its own process, alternately from this checkout and from a
checkout of the ledger before the guard (commit b99636a), on the same server and the same users,
each with its own SQLite database. The guard is the `balanceManagerChanges` marker in every
balance update, journaled writes, the audit rows claimed before applying and the batch lease.

    git worktree add ../before-guard b99636a && ln -s "$PWD/.venv" ../before-guard/.venv
    .venv/bin/python bench/guard_cost.py ../before-guard [users] [rounds]
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import harness


def migrate(checkout: Path, env: dict) -> None:
    subprocess.run([sys.executable, "manage.py", "migrate"], cwd=checkout, env=env, check=True, capture_output=True)


def timed_bulk_topup(checkout: Path, env: dict, batch_id: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "manage.py", "bulk_topup", "--all", "--add", "1000", "--yes", "--batch-id", batch_id],
        cwd=checkout,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> None:
    before_checkout = Path(sys.argv[1]).resolve()
    users = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    harness.start()
    harness.seed(users)
    after_env = dict(os.environ)
    before_env = {**os.environ, "DATABASE_URL": f"sqlite:///{tempfile.mkdtemp(prefix='bench-before-')}/db.sqlite3"}
    migrate(before_checkout, before_env)

    times: dict[str, list[float]] = {"before": [], "after": []}
    for round_number in range(rounds):
        # Alternating, so a busy moment on the shared machine hits both sides alike.
        for side, checkout, env in (("before", before_checkout, before_env), ("after", harness.ROOT, after_env)):
            times[side].append(timed_bulk_topup(checkout, env, f"guard-{side}-{round_number}"))

    print(f"bulk_topup --all --add 1000 over {users} users, {rounds} rounds (one process each, alternating)")
    for side, seconds in times.items():
        print(f"  {side:>6} the guard: " + ", ".join(f"{s:.1f} s" for s in seconds))
    before, after = statistics.median(times["before"]), statistics.median(times["after"])
    ratio = after / before
    print(f"  median {before:.1f} s -> {after:.1f} s: ratio {ratio:.2f}x (target <= 1.20x)")


if __name__ == "__main__":
    main()
