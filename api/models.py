"""API keys, and the answers kept for requests sent with an Idempotency-Key."""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.core.validators import RegexValidator
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from tenancy.scope import TENANTS_HELP, parse_tenants

KEY_PREFIX = "lcbm_"
# "lcbm_" plus 8 random characters: enough to tell keys apart in the admin, useless to an attacker.
SHOWN_PREFIX_LENGTH = len(KEY_PREFIX) + 8
# last_used_at is written at most this often, so a busy key does not write a row per request.
LAST_USED_PRECISION = timedelta(minutes=1)


def key_sha256(raw_key: str) -> str:
    # A key holds 256 random bits, so a fast hash is safe: there is nothing to brute-force.
    return hashlib.sha256(raw_key.encode()).hexdigest()


class Scope(models.TextChoices):
    READ = "read", "read: get balances, list balances"
    WRITE = "write", "write: set and add balances"


class ApiKey(models.Model):
    """A named key for scripts; only its hash is stored, so a lost key is replaced, never recovered."""

    name = models.CharField(
        max_length=100,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", "Letters, digits, '.', '_' and '-' only.")],
        help_text="Who uses the key, e.g. 'billing'. Audit rows name it as 'api:billing'.",
    )
    prefix = models.CharField(max_length=SHOWN_PREFIX_LENGTH, unique=True, editable=False)
    key_sha256 = models.CharField(max_length=64, editable=False)
    scopes = models.CharField(max_length=40, help_text="Comma-separated: read, write.")
    tenants = models.CharField(max_length=500, blank=True, help_text=TENANTS_HELP)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def issue(self, created_by: str = "") -> str:
        """Save this new key with a fresh secret and return the secret: its only copy, shown once."""
        self.created_by = created_by
        for _ in range(5):  # a prefix collision is astronomically rare; unique prefixes keep lookups simple
            raw_key = KEY_PREFIX + secrets.token_urlsafe(32)
            self.prefix, self.key_sha256 = raw_key[:SHOWN_PREFIX_LENGTH], key_sha256(raw_key)
            if not ApiKey.objects.filter(prefix=self.prefix).exists():
                break
        self.save()
        return raw_key

    @classmethod
    def find(cls, raw_key: str) -> "ApiKey | None":
        """The key matching `raw_key`, compared in constant time, or None."""
        if not raw_key.startswith(KEY_PREFIX) or len(raw_key) > 200:
            return None
        key = cls.objects.filter(prefix=raw_key[:SHOWN_PREFIX_LENGTH]).first()
        if key is None or not hmac.compare_digest(key.key_sha256, key_sha256(raw_key)):
            return None
        return key

    @property
    def scope_list(self) -> list[str]:
        return [scope for scope in self.scopes.split(",") if scope]

    @property
    def tenant_scope(self) -> frozenset[str] | None:
        """The tenants whose users this key reads and changes; None for every user."""
        return parse_tenants(self.tenants)

    @property
    def actor(self) -> str:
        """How the audit history names this key."""
        return f"api:{self.name}"

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= timezone.now():
            return "expired"
        return "active"

    def revoke(self) -> bool:
        """Revoke the key; False when it already was."""
        return bool(ApiKey.objects.filter(pk=self.pk, revoked_at=None).update(revoked_at=timezone.now()))

    def mark_used(self) -> None:
        now = timezone.now()
        if self.last_used_at is None or now - self.last_used_at >= LAST_USED_PRECISION:
            ApiKey.objects.filter(pk=self.pk).update(last_used_at=now)
            self.last_used_at = now


class IdempotentRequest(models.Model):
    """The first answer to a write sent with an Idempotency-Key, replayed to retries of it.

    The row is claimed (without an answer) before the change is applied, so a concurrent retry
    waits for the answer instead of applying the change a second time. A failed request keeps its
    row (its error status, no answer), so the key stays bound to that body for good.
    """

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="idempotent_requests")
    idempotency_key = models.CharField(max_length=255)
    request_sha256 = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_json = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["api_key", "idempotency_key"], name="one_answer_per_idempotency_key")
        ]

    def __str__(self) -> str:
        return f"{self.api_key.name}: {self.idempotency_key} ({self.response_status or 'in progress'})"

    @classmethod
    def claim(cls, api_key: ApiKey, idempotency_key: str, request_sha256: str) -> tuple["IdempotentRequest", bool]:
        """(row, True) when this request is the first with the key, else (the existing row, False)."""
        try:
            with transaction.atomic():
                row = cls.objects.create(
                    api_key=api_key, idempotency_key=idempotency_key, request_sha256=request_sha256
                )
                return row, True
        except IntegrityError:  # another request holds the key
            return cls.objects.get(api_key=api_key, idempotency_key=idempotency_key), False
