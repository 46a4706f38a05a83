import logging
import time

from django.conf import settings
from django.utils import timezone

from librechat.commands import LibreChatCommand
from policies.runs import run_due_policies

logger = logging.getLogger(__name__)


class Command(LibreChatCommand):
    help = (
        "Run credit policies when they are due: every POLICY_CHECK_SECONDS it applies each active policy's "
        "due period (once, whatever runs beside it) and finishes runs a crash or an outage left unfinished. "
        "--once checks once and exits (for cron)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Check once, then exit.")

    def handle(self, *args, once: bool, **options):
        while True:
            if once:
                self.apply_due(timezone.now())
                return
            try:
                self.apply_due(timezone.now())
            except Exception:
                # A daemon outlives a bad minute (our database restarting): the next check resumes.
                logger.exception("policy check failed; trying again in %s s", settings.POLICY_CHECK_SECONDS)
            time.sleep(settings.POLICY_CHECK_SECONDS)

    def apply_due(self, now) -> None:
        for report in run_due_policies(now):
            self.stdout.write(report.describe())
