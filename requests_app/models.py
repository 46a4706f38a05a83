"""Credit requests from LibreChat users, kept in this tool's own database."""

from django.db import models

from ledger import batch_ids
from librechat.credits import format_credits_and_usd


class CreditRequest(models.Model):
    """One user's request for credits, from the public page to the decision and the credit it produced."""

    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"
        EXPIRED = "expired"

    class Channel(models.TextChoices):
        EMAIL_LINK = "email_link", "email link"
        ADMIN = "admin", "admin"
        EXPIRY = "expiry", "expired by the clock"

    class Crediting(models.TextChoices):
        NONE = "", "-"
        CREDITING = "crediting", "crediting"
        CREDITED = "credited", "credited"
        FAILED = "failed", "failed: retry"

    email = models.EmailField(max_length=254, db_index=True)
    # Empty when no single LibreChat user has this email (the requester is never told).
    librechat_user_id = models.CharField(max_length=24, blank=True)
    # The identified user's LibreChat tenant (blank without one): the queue filters by tenant here.
    tenant_id = models.CharField(max_length=100, blank=True, default="", db_index=True)
    reference = models.CharField(max_length=100, blank=True)
    amount_wished_credits = models.BigIntegerField(null=True, blank=True)
    reason = models.TextField(blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    # Sent while another request of the same email from the same address was pending: stored, not mailed.
    is_duplicate = models.BooleanField(default=False)
    # Sent from /me/ by a user signed in with a link mailed to this address, not the anonymous form.
    email_verified = models.BooleanField(
        "email verified", default=False, help_text="Sent while signed in by a link mailed to this address."
    )
    # The requester's language on the page (settings.LANGUAGES): their mails are written in it.
    language = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    amount_granted_credits = models.BigIntegerField(null=True, blank=True)
    decided_by = models.CharField(max_length=254, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, blank=True)
    decision_note = models.TextField(blank=True, help_text="The reason given when rejecting.")

    # The ledger batch an approval produced; crediting again with it never applies twice.
    batch_id = models.CharField(max_length=64, blank=True)
    crediting = models.CharField(max_length=10, choices=Crediting.choices, blank=True)
    crediting_started_at = models.DateTimeField(null=True, blank=True)
    crediting_error = models.TextField(blank=True)

    notified_at = models.DateTimeField(null=True, blank=True, help_text="When every NOTIFY_TO address was mailed.")
    notify_error = models.TextField(blank=True)
    requester_notified_at = models.DateTimeField(null=True, blank=True)
    requester_notify_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Two requests from one address sent at the same moment must not both be mailed: the
            # second is a duplicate. Per address, so a stranger's request cannot silence the owner's.
            models.UniqueConstraint(
                fields=["email", "client_ip"],
                condition=models.Q(status="pending", is_duplicate=False),
                name="one_mailed_pending_request_per_email_and_address",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_status_display()})"

    @property
    def ledger_batch_id(self) -> str:
        return f"{batch_ids.REQUEST}{self.pk}"

    @property
    def wished(self) -> str:
        if self.amount_wished_credits is None:
            return "not said"
        return format_credits_and_usd(self.amount_wished_credits, " credits")
