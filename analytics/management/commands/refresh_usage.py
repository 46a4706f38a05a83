import time
from time import sleep

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from pymongo.errors import PyMongoError

from analytics.rollup import RefreshResult, rebuild_usage, refresh_usage
from librechat.mongo import describe_mongo_error

BAR_WIDTH = 30


class Command(BaseCommand):
    help = (
        "Roll LibreChat's new transactions and conversations up into the usage analytics tables. "
        "Safe to run at any time and as often as wanted (from cron, or with --loop): running it "
        "twice changes nothing. Exit code 1 if MongoDB or the database cannot be used."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--loop", type=int, metavar="SECONDS", help="Keep refreshing, every SECONDS, until interrupted."
        )
        parser.add_argument(
            "--rebuild", action="store_true", help="Forget all rollups and recompute them from the first transaction."
        )

    def handle(self, *args, loop, rebuild, **options):
        if loop is not None and loop < 1:
            raise CommandError("--loop needs a number of seconds of at least 1.")
        if rebuild:
            self.stdout.write("Rebuilding the usage rollups from scratch.")
            self.run(lambda: rebuild_usage(on_chunk=self.show_progress))
        else:
            self.run(refresh_usage)
        while loop:
            sleep(loop)
            try:
                self.run(refresh_usage)
            except CommandError as exc:
                # A passing outage must not end the loop: say so and try again next round.
                self.stderr.write(str(exc))

    def run(self, refresh) -> None:
        started = time.monotonic()
        try:
            result: RefreshResult = refresh()
        except PyMongoError as exc:
            raise CommandError(describe_mongo_error(exc)) from exc
        except DatabaseError as exc:
            raise CommandError(f"Could not write the rollups (is another refresh running?): {exc}") from exc
        until = f"{result.covered_until:%Y-%m-%d %H:%M:%S} UTC" if result.covered_until else "nothing yet"
        self.stdout.write(
            f"Usage rolled up to {until} ({result.chunks_done} chunk(s), {time.monotonic() - started:.1f} s)."
        )

    def show_progress(self, done: int, total: int) -> None:
        filled = BAR_WIDTH * done // total
        line = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {100 * done // total:3d}% {done}/{total} chunks"
        if self.stdout.isatty():
            self.stdout.write(f"\r{line}", ending="\n" if done == total else "")
            self.stdout.flush()
        elif done == total or done % max(1, total // 10) == 0:
            self.stdout.write(line)
