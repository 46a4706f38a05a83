import csv
from datetime import datetime
from pathlib import Path

from django.core.management.base import CommandError
from django.utils import timezone

from librechat.commands import EXIT_BAD_INPUT, LibreChatCommand
from librechat.credits import format_credits, format_credits_and_usd
from policies.membership import Membership, users
from policies.models import Policy
from policies.policy_file import PolicyFileError, apply_import, differences, export_policies, read_policies
from policies.runs import due_periods, period_batch_id, plan, run_due_policies
from policies.schedule import next_runs, period_start, policy_zone
from web.spreadsheet import escape_formula

EXIT_PARTIAL = 2


class Command(LibreChatCommand):
    help = (
        "Credit policies. list: every policy, its members and next run. members [NAME]: each user's policy "
        "as CSV. preview NAME: what its next run "
        "would do now. run [NAME]: apply the due periods of every active policy (or one), once each; "
        "--dry-run shows them. export: all policies as YAML. import FILE: show the differences, --apply "
        "writes them. Exit codes: 0 done, 1 bad input or MongoDB unreachable, 2 a run left changes refused or pending."
    )

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="subcommand", required=True)
        commands.add_parser("list", help="Every policy with its members, change and next runs.")
        preview = commands.add_parser("preview", help="What a policy's run would do to balances now.")
        preview.add_argument("name")
        preview.add_argument("--at", type=instant, help="The period holding this ISO time (default: now).")
        run = commands.add_parser("run", help="Apply due periods (every active policy, or NAME's).")
        run.add_argument("name", nargs="?")
        run.add_argument("--at", type=instant, help="Act as if it were this ISO time (default: now).")
        run.add_argument("--dry-run", action="store_true", help="Show the due periods and plans; change nothing.")
        members = commands.add_parser("members", help="Each LibreChat user and the policy they belong to, as CSV.")
        members.add_argument("name", nargs="?", help="Only this policy's members.")
        commands.add_parser("export", help="Every policy as YAML on standard output.")
        load = commands.add_parser("import", help="Create or update policies from a YAML file, by name.")
        load.add_argument("file", type=Path)
        load.add_argument("--apply", action="store_true", help="Write the differences shown.")

    def handle(self, *args, subcommand: str, **options):
        getattr(self, f"handle_{subcommand}")(**options)

    def handle_list(self, **options):
        membership = Membership()
        counts: dict[int, int] = {}
        for user in users():
            if (policy := membership.policy_of(user)) is not None:
                counts[policy.pk] = counts.get(policy.pk, 0) + 1
        now = timezone.now()
        for policy in Policy.objects.all():
            state = "active" if policy.active else "paused"
            members = f"{counts.get(policy.pk, 0):,} members" if policy.active else "no members while paused"
            upcoming = ", ".join(begins.astimezone(policy_zone()).isoformat() for begins in next_runs(policy, now, 2))
            self.stdout.write(
                f"{policy.priority:>4}  {policy.name} ({state}): {policy.describe_action()}, "
                f"{policy.describe_schedule()}; {members}; next runs {upcoming}"
            )
        if not Policy.objects.exists():
            self.stdout.write("No policies.")

    def handle_preview(self, name: str, at: datetime | None, **options):
        policy = find_policy(name)
        at = at or timezone.now()
        begins = period_start(policy, at)
        self.stdout.write(
            f"{policy.name}: {policy.describe_action()}, {policy.describe_schedule()} "
            f"({policy_zone().key}); period from {begins.astimezone(policy_zone()).isoformat()}, "
            f"batch {period_batch_id(policy.pk, begins)}"
        )
        self.write_plan(policy)

    def write_plan(self, policy: Policy) -> None:
        found = plan(policy)
        for change in found.first_changes:
            after = "refused (not a number)" if change.after_credits is None else format_credits(change.after_credits)
            before = "no balance" if change.before_credits is None else format_credits(change.before_credits)
            self.stdout.write(f"  {change.email}: {before} -> {after}")
        if found.more_count:
            self.stdout.write(f"  and {found.more_count:,} more")
        self.stdout.write(
            f"{found.user_count:,} users, {format_credits_and_usd(found.delta_credits, ' credits')} in total; "
            f"{found.lowered_count:,} lowered; {len(found.invalid):,} refused"
        )

    def handle_run(self, name: str | None, at: datetime | None, dry_run: bool, **options):
        at = at or timezone.now()
        if name is not None:
            find_policy(name)
        if dry_run:
            for policy in Policy.objects.filter(active=True, **({"name": name} if name else {})):
                periods, skipped = due_periods(policy, at)
                for begins in periods:
                    self.stdout.write(f"{policy.name}: would apply {period_batch_id(policy.pk, begins)}")
                    self.write_plan(policy)
                if skipped:
                    self.stdout.write(f"{policy.name}: {skipped} earlier missed periods would be skipped")
            self.stdout.write("Dry run: nothing was changed.")
            return
        reports = run_due_policies(at, names=None if name is None else [name])
        for report in reports:
            self.stdout.write(report.describe())
        if not reports:
            self.stdout.write("Nothing is due.")
        if any(report.error or not report.outcome.complete for report in reports):
            raise CommandError("Some changes were not applied (see above).", returncode=EXIT_PARTIAL)

    def handle_members(self, name: str | None, **options):
        if name is not None:
            find_policy(name)
        membership = Membership()
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(["email", "policy"])
        for user in users():
            policy = membership.policy_of(user)
            policy_name = policy.name if policy else ""
            if name is None or policy_name == name:
                writer.writerow([escape_formula(user.get("email") or ""), escape_formula(policy_name)])

    def handle_export(self, **options):
        self.stdout.write(export_policies(), ending="")

    def handle_import(self, file: Path, apply: bool, **options):
        try:
            found = differences(read_policies(file.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}", returncode=EXIT_BAD_INPUT) from exc
        except PolicyFileError as exc:
            raise CommandError(f"{file}: {exc}. Nothing was changed.", returncode=EXIT_BAD_INPUT) from exc
        for difference in found:
            self.stdout.write(f"{difference.name}: {difference.change}")
            for field, (before, after) in difference.fields.items():
                self.stdout.write(f"  {field}: {before!r} -> {after!r}")
        if not apply:
            self.stdout.write("Dry run: nothing was changed. Re-run with --apply.")
            return
        apply_import(found)
        self.stdout.write(f"Imported: {sum(d.change != 'unchanged' for d in found)} policies written.")


def find_policy(name: str) -> Policy:
    policy = Policy.objects.filter(name=name).first()
    if policy is None:
        raise CommandError(f"No policy is named {name!r}.", returncode=EXIT_BAD_INPUT)
    return policy


def instant(text: str) -> datetime:
    """An argparse type: an ISO date-time, in POLICY_TIME_ZONE when it names no offset."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"not an ISO date-time: {text!r}") from exc
    return value if value.tzinfo else value.replace(tzinfo=policy_zone())
