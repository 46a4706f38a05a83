"""The base of every management command that uses LibreChat's MongoDB."""

from django.core.management.base import BaseCommand, CommandError

from librechat.mongo import connection_failure_behind, describe_mongo_error

# Exit code for input a person can fix and for an unreachable MongoDB; documented in the README.
EXIT_BAD_INPUT = 1


class LibreChatCommand(BaseCommand):
    """A command that uses LibreChat's MongoDB: an outage is one line and exit 1, not a traceback.

    Partly applied batches report themselves (exit 2) before this is reached.
    """

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except Exception as exc:
            failure = connection_failure_behind(exc)
            if failure is None:
                raise
            raise CommandError(
                f"{describe_mongo_error(failure)}. Nothing was changed.", returncode=EXIT_BAD_INPUT
            ) from exc
