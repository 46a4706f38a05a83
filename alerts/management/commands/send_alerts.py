import logging
import time

from alerts.schedule import run_due
from librechat.commands import LibreChatCommand

logger = logging.getLogger(__name__)


class Command(LibreChatCommand):
    help = (
        "Check balances against LOW_BALANCE_THRESHOLDS and queue what is due: low-balance mails, the admins' "
        "daily digest, operational alerts, the daily drift check and scheduled reports. Each thing is queued "
        "exactly once, however often this runs or how many run at once. --loop runs it every --every seconds "
        "(the worker's container does). Exit codes: 0 done, 1 MongoDB unreachable."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Run forever, every --every seconds.")
        parser.add_argument("--every", type=int, default=60, help="Seconds between runs with --loop (default 60).")

    def handle(self, *args, loop: bool, every: int, **options):
        while True:
            try:
                summary = run_due()
            except Exception:
                if not loop:
                    raise
                # A daemon outlives a bad minute (a database restarting): the next run catches up.
                logger.exception("alert check failed; trying again in %s s", every)
                time.sleep(every)
                continue
            done = f"; {', '.join(summary.jobs)}" if summary.jobs else ""
            self.stdout.write(
                f"Checked {summary.users_checked} users, {summary.crossings} fell below a threshold{done}."
            )
            if not loop:
                return
            time.sleep(every)
