"""The ledger's journal: every credit change, written ahead of MongoDB (SQLite or DATABASE_URL, never MongoDB).

The audit history shows these through proxies in `audit.models` (its URLs and permissions)."""

from datetime import datetime

from django.db import models
from django.utils import timezone

from librechat.credits import format_credits


class ChangeBatchQuerySet(models.QuerySet):
    """The states the home page counts and the batches list filters by, each on an index."""

    def running(self, now: datetime | None = None) -> "ChangeBatchQuerySet":
        return self.filter(lease_expires_at__gt=now or timezone.now())

    def idle(self, now: datetime | None = None) -> "ChangeBatchQuerySet":
        return self.filter(
            models.Q(lease_expires_at__isnull=True) | models.Q(lease_expires_at__lte=now or timezone.now())
        )

    def stopped(self, now: datetime | None = None) -> "ChangeBatchQuerySet":
        """Stopped before the end (a failure, a takeover, Mongo away) and not running again."""
        return self.exclude(stopped_reason="").idle(now)

    def with_failed_rows(self) -> "ChangeBatchQuerySet":
        return self.filter(pk__in=BalanceChange.objects.filter(status=BalanceChange.Status.FAILED).values("batch"))


class ChangeBatch(models.Model):
    """One operation as a person or a script asked for it: one user or thousands."""

    class Kind(models.TextChoices):
        ADD = "add", "add credits"
        SET = "set", "set balance"
        TOP_UP_TO = "top_up_to", "top up to"
        # Reversal of a batch when LibreChat spent the credits since: never below 0.
        SUBTRACT_CLAMPED = "subtract_clamped", "subtract down to 0"
        # Writes only LibreChat's `credits` row, for a balance whose history lacks it (drift).
        RECORD = "record", "record only"

    class Source(models.TextChoices):
        ADMIN = "admin", "admin"
        IMPORT = "import", "CSV import"
        CLI = "cli", "command line"
        API = "api", "API"
        REQUEST = "request", "credit request"
        POLICY = "policy", "credit policy"
        ALERT = "alert", "alert link"

    # Chosen by the caller (a form token, --batch-id, an Idempotency-Key, a file's content):
    # the same id again resumes the batch instead of applying it twice.
    batch_id = models.CharField(max_length=64, unique=True)
    # What the batch was asked to reach (a file's content hash, a selection); empty when the
    # targets need no proof. Resuming with a different one is refused.
    fingerprint = models.CharField(max_length=64, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount_credits = models.BigIntegerField(null=True, blank=True, help_text="Empty: each row has its own amount.")
    source = models.CharField(max_length=10, choices=Source.choices)
    actor = models.CharField(max_length=150)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # One runner at a time: a process applies the batch only while it holds an unexpired lease.
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    in_background = models.BooleanField(default=False, help_text="Applied by the worker, not in the request.")
    stopped_reason = models.TextField(blank=True, help_text="Why the last run stopped before the end.")
    # Unique: a batch is reversed at most once (a reversal is itself a batch, and may be reversed).
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")

    objects = ChangeBatchQuerySet.as_manager()

    class Meta:
        db_table = "audit_changebatch"  # the tables kept their names when the journal moved here
        ordering = ["-created_at"]
        # The history's filters read these on every page; single-user changes make one batch each.
        indexes = [
            models.Index(fields=["source"], name="batch_source"),
            models.Index(fields=["actor"], name="batch_actor"),
            models.Index(fields=["kind"], name="batch_kind"),
            # The home page counts running and stopped batches on every visit: few rows, partial indexes.
            models.Index(
                fields=["lease_expires_at"], name="batch_leased", condition=models.Q(lease_expires_at__isnull=False)
            ),
            models.Index(fields=["id"], name="batch_stopped", condition=~models.Q(stopped_reason="")),
        ]

    def __str__(self) -> str:
        amount = "per row" if self.amount_credits is None else format_credits(self.amount_credits)
        return f"{self.get_kind_display()} {amount} by {self.actor} ({self.batch_id})"

    def progress(self) -> dict[str, int]:
        """{status: number of users} for this batch, in one query."""
        rows = self.changes.order_by().values("status").annotate(n=models.Count("id"))
        counts = {row["status"]: row["n"] for row in rows}
        return {status: counts.get(status, 0) for status in BalanceChange.Status.values}

    @property
    def is_running(self) -> bool:
        return bool(self.lease_expires_at and self.lease_expires_at > timezone.now())


class BalanceChange(models.Model):
    """What one batch did to one LibreChat user's balance."""

    class Status(models.TextChoices):
        PENDING = "pending"
        APPLIED = "applied"
        FAILED = "failed"
        # Only from before the change-id marker (migration 0002): interrupted after LibreChat's
        # transaction row was written, so whether the balance moved cannot be read back.
        REVIEW = "review", "needs review"

    batch = models.ForeignKey(ChangeBatch, on_delete=models.PROTECT, related_name="changes")
    librechat_user_id = models.CharField(max_length=24)
    email = models.CharField(max_length=320)
    # The user's LibreChat tenant its rows were written for (blank without one, or not written yet):
    # history lists filter by tenant on this table instead of asking MongoDB for a tenant's user ids.
    tenant_id = models.CharField(max_length=100, blank=True, default="")
    requested_credits = models.BigIntegerField(help_text="The amount to add, or the balance to set.")
    reason = models.TextField(blank=True, help_text="Empty: the batch's reason.")
    before_credits = models.FloatField(null=True, help_text="Empty: the user had no balance document.")
    after_credits = models.FloatField(null=True)
    delta_credits = models.FloatField(null=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    # The `_id` of the LibreChat `credits` transaction written for this change; indexed to tell
    # LibreChat's own credits rows from ours.
    transaction_id = models.CharField(max_length=24, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "audit_balancechange"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "librechat_user_id"], name="one_change_per_user_per_batch")
        ]
        # One user's history, newest first, by id (the user page) or by exact email (a search that
        # matches one address), and the history-wide date range.
        indexes = [
            models.Index(fields=["batch", "status"], name="change_batch_status"),
            models.Index(fields=["librechat_user_id", "created_at"], name="change_user_created"),
            models.Index(fields=["email", "created_at"], name="change_email_created"),
            models.Index(fields=["created_at"], name="change_created"),
            models.Index(fields=["batch"], name="change_failed", condition=models.Q(status="failed")),
            models.Index(fields=["tenant_id", "created_at"], name="change_tenant_created"),
        ]

    def __str__(self) -> str:
        return f"{self.email}: {format_credits(self.delta_credits or 0)} ({self.status})"


class ImportRow(models.Model):
    """One row of a confirmed CSV file, kept as the record of what the file asked for (the batch
    holds what was done)."""

    batch_id = models.CharField(max_length=64, db_index=True)
    email = models.CharField(max_length=320)
    amount_credits = models.BigIntegerField()
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "audit_importrow"

    def __str__(self) -> str:
        return f"{self.email}: {format_credits(self.amount_credits)}"


class ImportFile(models.Model):
    """One uploaded CSV of top-ups: read and previewed (in the worker when large), applied once confirmed.

    The text is kept so the apply step reads exactly the rows that were previewed.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "waiting for the worker"
        READING = "reading", "being read"
        INVALID = "invalid", "cannot be applied"
        READY = "ready", "ready to confirm"
        APPLYING = "applying", "being applied"
        APPLIED = "applied", "applied"

    file_name = models.CharField(max_length=255)
    text = models.TextField()
    mode = models.CharField(max_length=20, choices=ChangeBatch.Kind.choices)
    actor = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    lines_total = models.PositiveIntegerField(default=0)
    lines_read = models.PositiveIntegerField(default=0)
    # What the preview page shows: the first rows, the totals, the errors, earlier imports alike.
    preview = models.JSONField(default=dict, blank=True)
    # The batch the rows make (from the normalised rows); the apply step refuses a file that reads
    # differently by then.
    batch_id = models.CharField(max_length=64, blank=True)

    class Meta:
        db_table = "ledger_importfile"

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def is_busy(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.READING, self.Status.APPLYING)


class RefillChange(models.Model):
    """One edit of a user's auto-refill settings (LibreChat keeps no history of them)."""

    librechat_user_id = models.CharField(max_length=24)
    email = models.CharField(max_length=320)
    actor = models.CharField(max_length=150)
    changed_at = models.DateTimeField(default=timezone.now)
    field_name = models.CharField(max_length=40)
    before_value = models.TextField(blank=True)
    after_value = models.TextField(blank=True)
    # The user's LibreChat tenant at the time, for staff limited to some tenants ("" without one).
    tenant_id = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        db_table = "audit_refillchange"
        ordering = ["-changed_at", "-id"]
        indexes = [
            models.Index(fields=["librechat_user_id", "changed_at"], name="refill_user_changed"),
            models.Index(fields=["email", "changed_at"], name="refill_email_changed"),
            models.Index(fields=["tenant_id", "changed_at"], name="refill_tenant_changed"),
        ]

    def __str__(self) -> str:
        return f"{self.email}: {self.field_name} {self.before_value!r} -> {self.after_value!r}"
