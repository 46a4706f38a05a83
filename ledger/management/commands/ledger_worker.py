from django.core.management import call_command
from django.core.management.base import BaseCommand

from ledger.tasks import resume_interrupted_batches
from outbox.sending import wake_worker_for_pending


class Command(BaseCommand):
    help = (
        "Apply queued credit batches (large admin actions and imports) and send the outbox's messages. "
        "On start it queues every batch left unfinished by a crash or a MongoDB outage and every pending "
        "message, then runs django-tasks' database worker. --batch processes what is queued and exits "
        "(for cron or tests)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="Process the queue, then exit.")

    def handle(self, *args, batch: bool, **options):
        resumed = resume_interrupted_batches()
        if resumed:
            self.stdout.write(f"Resuming {resumed} interrupted batch{'es' if resumed != 1 else ''}.")
        wake_worker_for_pending()
        worker_options = {"batch": True, "reload": False} if batch else {"reload": False}
        call_command("db_worker", **worker_options, verbosity=options["verbosity"])
