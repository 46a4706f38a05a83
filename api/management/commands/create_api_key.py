from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from api.models import ApiKey, Scope
from ledger.actors import os_actor
from tenancy.scope import parse_tenants


class Command(BaseCommand):
    help = (
        "Create an API key and print it once: only its hash is stored. "
        "Exit codes: 0 created, 1 bad input (name taken, unknown scope)."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="Who uses the key, e.g. billing; audit rows name it api:NAME.")
        parser.add_argument(
            "--scopes", default=Scope.READ, help="Comma-separated: read (get, list), write (set, add). Default: read."
        )
        parser.add_argument(
            "--tenants", default="", help="Comma-separated LibreChat tenant ids the key is limited to. Default: all."
        )
        parser.add_argument("--expires-days", type=int, help="Days until the key stops working. Default: never.")

    def handle(self, *args, name, scopes, tenants, expires_days, **options):
        scope_list = sorted({scope.strip() for scope in scopes.split(",") if scope.strip()})
        unknown = set(scope_list) - set(Scope.values)
        if unknown or not scope_list:
            raise CommandError(f"Scopes must be among {', '.join(Scope.values)}; got {scopes!r}.", returncode=1)
        if expires_days is not None and expires_days < 1:
            raise CommandError("--expires-days must be at least 1.", returncode=1)
        expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
        tenants = ",".join(sorted(parse_tenants(tenants) or ()))
        key = ApiKey(name=name, scopes=",".join(scope_list), tenants=tenants, expires_at=expires_at)
        try:
            key.full_clean(exclude=["prefix", "key_sha256"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages), returncode=1) from exc
        raw_key = key.issue(created_by=os_actor())
        expiry = f"expires {expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else "never expires"
        limited = f"; tenants {tenants}" if tenants else ""
        self.stderr.write(
            f"API key {name!r} ({key.scopes}{limited}; {expiry}). Store it now: it cannot be shown again."
        )
        self.stdout.write(raw_key)
