"""The admin's CSV top-up at 10,000 and 100,000 rows: the preview (read in the worker) and the apply
(opening the batch, keeping the rows, running the batch), each run in this process as the worker
runs it, with MongoDB round trips and CPU seconds (this process, and the server's), which a busy
machine inflates less than wall time. Targets: ratio 100,000:10,000 <= 12x (linear), round trips
in chunks (not one per row), and the 100,000-row preview under 60 s of worker time here.

    .venv/bin/python bench/csv_import.py                 # ~25 min on a quiet machine
    .venv/bin/python bench/csv_import.py 1000 10000      # other sizes
    .venv/bin/python bench/csv_import.py --preview-only  # without the apply steps
"""

import argparse
import os
import time
from contextlib import contextmanager

import harness

SIZES = [10_000, 100_000]
INSERT_CHUNK = 10_000


def seed_users(count: int) -> None:
    """`count` users with a balance each, inserted in chunks (seed_demo's transactions are not needed)."""
    from librechat import documents
    from librechat.mongo import librechat_db

    database = librechat_db()
    for start in range(0, count, INSERT_CHUNK):
        users = [documents.user(email(number)) for number in range(start, min(count, start + INSERT_CHUNK))]
        database.users.insert_many(users)
        database.balances.insert_many([documents.balance(user["_id"], 20_000) for user in users])
    database.users.create_index("email")
    database.balances.create_index("user")


def email(number: int) -> str:
    return f"user{number:06d}@example.com"


def csv_text(rows: int) -> str:
    # Spelled as spreadsheets save it: thousands separators, mixed case, a reason column.
    lines = [f'{email(number).upper()},"1,{number % 1000:03d}",bench' for number in range(rows)]
    return "email,amount,reason\n" + "\n".join(lines) + "\n"


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_pid() -> int:
    """The embedded server: this process's only child."""
    with open(f"/proc/{os.getpid()}/task/{os.getpid()}/children") as children:
        return int(children.read().split()[0])


@contextmanager
def step():
    """Yields a dict filled with wall, commands, server (command) seconds and CPU seconds for the block."""
    server = server_pid()
    own_cpu, server_cpu = time.process_time(), cpu_seconds(server)
    with harness.COUNTER.measure() as figures:
        yield figures
    figures["own_cpu"] = time.process_time() - own_cpu
    figures["server_cpu"] = cpu_seconds(server) - server_cpu


def measure(rows: int, preview_only: bool) -> dict:
    from balances.credit_import import apply_import, count_lines, preview_import
    from ledger.changes import run_batch
    from ledger.models import ImportFile

    text = csv_text(rows)
    upload = ImportFile.objects.create(
        file_name=f"{rows}.csv", text=text, mode="add", actor="bench", lines_total=count_lines(text)
    )
    with step() as preview:
        preview_import(upload)
    upload.refresh_from_db()
    assert upload.status == ImportFile.Status.READY, upload.preview.get("errors")
    assert upload.preview["row_count"] == rows
    report(rows, "preview", preview)
    if preview_only:
        return {"preview": preview}
    with step() as opening:
        batch = apply_import(upload)
    report(rows, "open", opening)
    with step() as running:
        outcome = run_batch(batch)
    assert outcome.applied_count == rows, outcome
    report(rows, "run", running)
    return {"preview": preview, "open": opening, "run": running}


def report(rows: int, name: str, figures: dict) -> None:
    print(
        f"  {rows:>7,} rows {name:>7}: {figures['wall_seconds']:6.1f} s wall, {figures['commands']:5} MongoDB "
        f"commands, CPU {figures['own_cpu']:5.1f} s ours + {figures['server_cpu']:6.1f} s server",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sizes", nargs="*", type=int, default=SIZES)
    parser.add_argument("--preview-only", action="store_true")
    options = parser.parse_args()
    # SecantusDB's `$in` costs grow with the square of the list (see "admin_lists.py" in the README):
    # at the default 2,000 ids per read, 100,000 rows take most of an hour here, nearly all in the server.
    os.environ.setdefault("LEDGER_BATCH_SIZE", "250")
    harness.start()
    from django.conf import settings

    small, large = options.sizes
    started = time.perf_counter()
    seed_users(large)
    print(f"seeded {large:,} users in {time.perf_counter() - started:.0f} s", flush=True)
    print(f"CSV top-up (admin import), run as the worker runs it; LEDGER_BATCH_SIZE={settings.LEDGER_BATCH_SIZE}")
    results = {size: measure(size, options.preview_only) for size in (small, large)}
    for name in results[small]:
        wall = results[large][name]["wall_seconds"] / results[small][name]["wall_seconds"]
        cpu = total_cpu(results[large][name]) / total_cpu(results[small][name])
        target = large / small * 1.2
        print(f"  {name} ratio {large}:{small}: wall {wall:.2f}x, CPU {cpu:.2f}x (target <= {target:.0f}x)")
    preview = results[large]["preview"]
    verdict = "met" if total_cpu(preview) < 60 else "NOT met"
    print(
        f"  preview of {large:,} rows: {total_cpu(preview):.1f} s CPU ({preview['own_cpu']:.1f} s ours), "
        f"{preview['wall_seconds']:.1f} s wall (target < 60 s: {verdict})"
    )


def total_cpu(figures: dict) -> float:
    return figures["own_cpu"] + figures["server_cpu"]


if __name__ == "__main__":
    main()
