from django.core.management.base import BaseCommand, CommandError

from api.models import ApiKey


class Command(BaseCommand):
    help = "Revoke an API key by name: it stops working at once. Exit codes: 0 revoked, 1 no such key."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The key's name.")

    def handle(self, *args, name, **options):
        key = ApiKey.objects.filter(name=name).first()
        if key is None:
            raise CommandError(f"No API key is named {name!r}.", returncode=1)
        if key.revoke():
            self.stdout.write(f"Revoked API key {name!r} ({key.prefix}…).")
        else:
            self.stdout.write(f"API key {name!r} was already revoked.")
