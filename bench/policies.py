"""A policy's top-up-to run over N users against the same change by `bulk_topup --all --top-up-to`
(target: the policy run takes <= 1.2x the bulk command's time). Both run in this process through
their commands, on the same users, each raising every balance once: policy to T, bulk to T + 1M,
policy to T + 2M, bulk to T + 3M; the ratio compares the sums. Usage: `policies.py [users]`
(default 100,000; top-up-to changes one user at a time, so on SecantusDB 100,000 takes hours)."""

import io
import sys
from datetime import UTC, datetime, timedelta

import harness

TARGET_CREDITS = 100_000_000  # above every demo balance, so every user is raised each time
STEP_CREDITS = 1_000_000


def main() -> None:
    users = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    harness.start()
    harness.seed(users)
    print(f"top-up-to over {users:,} users", flush=True)
    from django.core.management import call_command

    from policies.models import Policy

    policy = Policy.objects.create(name="Bench", action="top_up_to", amount_credits=TARGET_CREDITS, roles="USER\nADMIN")
    Policy.objects.filter(pk=policy.pk).update(active_since=datetime(2000, 1, 1, tzinfo=UTC))
    day = datetime.now(UTC) + timedelta(days=1)
    timings = {"policy": [], "bulk": []}
    for round_number in range(2):
        target = TARGET_CREDITS + 2 * round_number * STEP_CREDITS
        Policy.objects.filter(pk=policy.pk).update(amount_credits=target, frequency="daily")
        at = (day + timedelta(days=round_number)).isoformat()
        with harness.COUNTER.measure() as figures:
            call_command("policies", "run", "--at", at, stdout=io.StringIO())
        timings["policy"].append(figures)
        bulk = ["--all", "--top-up-to", str(target + STEP_CREDITS), "--yes", "--batch-id", f"bench-{round_number}"]
        with harness.COUNTER.measure() as figures:
            call_command("bulk_topup", *bulk, stdout=io.StringIO())
        timings["bulk"].append(figures)
        # Each round as it ends: on a loaded machine a run may be stopped before the summary.
        policy_seconds, bulk_seconds = timings["policy"][-1]["wall_seconds"], figures["wall_seconds"]
        print(f"  round {round_number + 1}: policy {policy_seconds:.1f} s, bulk {bulk_seconds:.1f} s", flush=True)
    print("two runs each:")
    for name, runs in timings.items():
        wall = sum(run["wall_seconds"] for run in runs)
        commands = sum(run["commands"] for run in runs) // len(runs)
        print(f"  {name:>6}: {wall:7.1f} s for both runs, {commands:,} MongoDB commands per run")
    ratio = sum(r["wall_seconds"] for r in timings["policy"]) / sum(r["wall_seconds"] for r in timings["bulk"])
    print(f"  ratio policy : bulk_topup = {ratio:.2f}x (target <= 1.2x)")


if __name__ == "__main__":
    main()
