"""The admin's CSV top-up at 10,000 and 100,000 rows: the preview (read in the worker) and the apply
(opening the batch, keeping the rows, running the batch), each timed in this process as the worker
runs it, with MongoDB round trips. Targets: time ratio 100,000:10,000 <= 12x (linear), round trips
in chunks (not one per row), and the 100,000-row preview under 60 s of worker time here.
Other sizes: `csv_import.py 2000 20000`."""

import os
import sys
import time

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


def measure(rows: int) -> dict:
    from balances.credit_import import apply_import, count_lines, preview_import
    from ledger.changes import run_batch
    from ledger.models import ImportFile

    text = csv_text(rows)
    upload = ImportFile.objects.create(
        file_name=f"{rows}.csv", text=text, mode="add", actor="bench", lines_total=count_lines(text)
    )
    with harness.COUNTER.measure() as preview:
        preview_import(upload)
    upload.refresh_from_db()
    assert upload.status == ImportFile.Status.READY, upload.preview.get("errors")
    assert upload.preview["row_count"] == rows
    with harness.COUNTER.measure() as opening:
        batch = apply_import(upload)
    with harness.COUNTER.measure() as running:
        outcome = run_batch(batch)
    assert outcome.applied_count == rows, outcome
    return {"preview": preview, "open": opening, "run": running}


def main() -> None:
    # SecantusDB's `$in` costs grow with the square of the list (see "admin_lists.py" in the README):
    # at the default 2,000 ids per read, 100,000 rows take most of an hour here, nearly all in the server.
    os.environ.setdefault("LEDGER_BATCH_SIZE", "250")
    harness.start()
    sizes = [int(size) for size in sys.argv[1:3]] or SIZES
    started = time.perf_counter()
    seed_users(max(sizes))
    print(f"seeded {max(sizes):,} users in {time.perf_counter() - started:.0f} s")
    results = {size: measure(size) for size in sizes}

    from django.conf import settings

    print(f"CSV top-up (admin import), timed as the worker runs it; LEDGER_BATCH_SIZE={settings.LEDGER_BATCH_SIZE}")
    for size, steps in results.items():
        for step, figures in steps.items():
            print(
                f"  {size:>7,} rows {step:>7}: {figures['wall_seconds']:6.1f} s, "
                f"{figures['commands']:5} MongoDB commands ({figures['server_seconds']:.1f} s in the server)"
            )
    small, large = sizes
    for step in ("preview", "open", "run"):
        ratio = results[large][step]["wall_seconds"] / results[small][step]["wall_seconds"]
        print(f"  {step} time ratio {large}:{small} = {ratio:.2f}x (target <= {large // small * 1.2:.0f}x)")
    preview_seconds = results[large]["preview"]["wall_seconds"]
    verdict = "met" if preview_seconds < 60 else "NOT met"
    print(f"  preview of {large:,} rows: {preview_seconds:.1f} s of worker time (target < 60 s: {verdict})")


if __name__ == "__main__":
    main()
