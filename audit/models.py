"""This tool's own history of every credit change (SQLite or DATABASE_URL, never MongoDB)."""

from django.db import models

from balances.credits import format_credits


class ChangeBatch(models.Model):
    """One operation as a person or a script asked for it: one user or thousands."""

    class Kind(models.TextChoices):
        ADD = "add", "add credits"
        SET = "set", "set balance"
        TOP_UP_TO = "top_up_to", "top up to"

    class Source(models.TextChoices):
        ADMIN = "admin", "admin"
        IMPORT = "import", "CSV import"
        CLI = "cli", "command line"
        API = "api", "API"
        REQUEST = "request", "credit request"

    # Chosen by the caller (a form token, --batch-id, an Idempotency-Key): the same id
    # again resumes the batch instead of applying it twice.
    batch_id = models.CharField(max_length=64, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount_credits = models.BigIntegerField(null=True, blank=True, help_text="Empty: each row has its own amount.")
    source = models.CharField(max_length=10, choices=Source.choices)
    actor = models.CharField(max_length=150)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "change batches"

    def __str__(self) -> str:
        amount = "per row" if self.amount_credits is None else format_credits(self.amount_credits)
        return f"{self.get_kind_display()} {amount} by {self.actor} ({self.batch_id})"


class BalanceChange(models.Model):
    """What one batch did to one LibreChat user's balance."""

    class Status(models.TextChoices):
        PENDING = "pending"
        APPLIED = "applied"
        FAILED = "failed"
        # Interrupted after LibreChat's transaction row was written: whether the balance
        # moved cannot be known, so it is never retried automatically.
        REVIEW = "review", "needs review"

    batch = models.ForeignKey(ChangeBatch, on_delete=models.PROTECT, related_name="changes")
    librechat_user_id = models.CharField(max_length=24, db_index=True)
    email = models.CharField(max_length=320, db_index=True)
    requested_credits = models.BigIntegerField(help_text="The amount to add, or the balance to set.")
    reason = models.TextField(blank=True, help_text="Empty: the batch's reason.")
    before_credits = models.FloatField(null=True, help_text="Empty: the user had no balance document.")
    after_credits = models.FloatField(null=True)
    delta_credits = models.FloatField(null=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    error = models.TextField(blank=True)
    # The `_id` of the LibreChat `credits` transaction written for this change.
    transaction_id = models.CharField(max_length=24)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "librechat_user_id"], name="one_change_per_user_per_batch")
        ]

    def __str__(self) -> str:
        return f"{self.email}: {format_credits(self.delta_credits or 0)} ({self.status})"


class ImportRow(models.Model):
    """One row of an uploaded CSV, kept as the record of what the file asked for.

    Imports land here first because SQLite gives django-import-export a real transaction for
    its dry-run preview; the ledger applies confirmed rows to MongoDB as one batch.
    """

    batch_id = models.CharField(max_length=64, db_index=True)
    email = models.CharField(max_length=320)
    amount_credits = models.BigIntegerField()
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "CSV top-up row"

    def __str__(self) -> str:
        return f"{self.email}: {format_credits(self.amount_credits)}"
