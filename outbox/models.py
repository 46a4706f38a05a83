"""Messages waiting to go out, and what became of them: one table for every channel."""

from django.db import models


class Message(models.Model):
    """One message to one recipient, queued in the caller's transaction and sent by the worker."""

    class Channel(models.TextChoices):
        EMAIL = "email"
        # Chat and webhooks through Apprise; the recipient is a target's name in NOTIFY_URLS.
        APPRISE = "apprise", "chat or webhook"

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed", "failed: gave up"

    event = models.CharField(max_length=64, db_index=True, help_text="What happened, e.g. credit_request.admin.")
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.EMAIL)
    # An address for email; for a channel whose target holds a token, the name of a configured
    # target, never the token itself (this table is shown in the admin).
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    # Files sent with a mail: [{"filename", "mimetype", "content_base64"}].
    attachments = models.JSONField(default=list, blank=True)
    # What the message is about ("credit_request:12"), so the sender of the event can find its messages.
    reference = models.CharField(max_length=100, blank=True, db_index=True)
    # The same key is never queued twice (a task run twice, a retried request).
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # For a pending message: when it is due; while a worker sends it: when that worker's claim lapses.
    next_attempt_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.event} to {self.recipient} ({self.get_status_display()})"
