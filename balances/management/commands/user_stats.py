from datetime import UTC, datetime

from balances.cli import OUTPUT_FORMATS, bad_input, write_rows
from balances.user_stats import COLUMNS, user_stats_rows
from librechat.commands import LibreChatCommand


def utc_date(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


EARLIEST_SINCE = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_SINCE = datetime(2100, 12, 31, tzinfo=UTC)


class Command(LibreChatCommand):
    help = (
        "Per LibreChat user: conversations, messages, tokens used and cost in USD (from the stored "
        "transaction values, never re-priced). Exit codes: 0 listed, 1 bad input or no users."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", help="Only activity from this date (YYYY-MM-DD, UTC) on.")
        parser.add_argument("--format", choices=OUTPUT_FORMATS, default="table", dest="output_format")

    def handle(self, *args, since, output_format, **options):
        try:
            since_at = utc_date(since) if since else None
        except ValueError as exc:
            raise bad_input(f"--since must be a date like 2026-01-31, not {since!r}.") from exc
        # Transactions are found by the time inside their ObjectId, which counts seconds from 1970.
        if since_at and not EARLIEST_SINCE <= since_at <= LATEST_SINCE:
            raise bad_input(f"--since must be between {EARLIEST_SINCE:%Y-%m-%d} and {LATEST_SINCE:%Y-%m-%d}.")
        if write_rows(self.stdout, user_stats_rows(since_at), COLUMNS, output_format) == 0:
            raise bad_input("There are no LibreChat users.")
