from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from requests_app.decisions import expire_stale


class Command(BaseCommand):
    help = (
        "Mark pending credit requests older than N hours expired (default WEBHOOK_TTL_HOURS, when their "
        "links stop working). Meant for cron. Exit code 0, or 1 on bad input."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than-hours", type=int, default=None, help="Default: WEBHOOK_TTL_HOURS.")
        parser.add_argument("--dry-run", action="store_true", help="Only count what would expire.")

    def handle(self, *args, older_than_hours, dry_run, **options):
        hours = settings.WEBHOOK_TTL_HOURS if older_than_hours is None else older_than_hours
        if hours < 0:
            raise CommandError("--older-than-hours must be 0 or more.")
        count = expire_stale(timedelta(hours=hours), dry_run=dry_run)
        verb = "Would expire" if dry_run else "Expired"
        self.stdout.write(f"{verb} {count} pending request{'s' if count != 1 else ''} older than {hours} hours.")
