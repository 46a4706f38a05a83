import re
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from outbox.channels import apprise_targets


class ThresholdState(models.Model):
    """Whether one user's low-balance alert for one threshold has fired since their balance was last above it.

    One row per (user, threshold): firing is a conditional update (or the insert) of this row, so two
    workers checking at once mail a crossing exactly once.
    """

    librechat_user_id = models.CharField(max_length=24)
    email = models.CharField(max_length=320)
    threshold_credits = models.BigIntegerField()
    fired = models.BooleanField(default=False)
    fired_at = models.DateTimeField(null=True, blank=True)
    available_credits_when_fired = models.FloatField(null=True, blank=True)
    rearmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["librechat_user_id", "threshold_credits"], name="one_state_per_threshold")
        ]
        indexes = [models.Index(fields=["fired", "fired_at"], name="threshold_fired")]

    def __str__(self) -> str:
        return f"{self.email} below {self.threshold_credits}: {'fired' if self.fired else 'armed'}"


class MailOptOut(models.Model):
    """A LibreChat user who followed the unsubscribe link of a low-balance mail."""

    librechat_user_id = models.CharField(max_length=24, unique=True)
    email = models.CharField(max_length=320)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.email


class CheckState(models.Model):
    """Where the low-balance check left off in LibreChat's transactions (one row)."""

    last_transaction_id = models.CharField(max_length=24, blank=True)
    last_full_check_at = models.DateTimeField(null=True, blank=True)
    last_check_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"checked up to {self.last_transaction_id or 'nothing'}"

    @classmethod
    def load(cls) -> "CheckState":
        state, _ = cls.objects.get_or_create(pk=1)
        return state


class ScheduledRun(models.Model):
    """One job done for one key: a digest for a day, a report for a week, an alert for a stopped batch.

    Unique, and created in the transaction that queues the job's messages: it happens exactly once.
    """

    job = models.CharField(max_length=40)
    key = models.CharField(max_length=40, help_text="What it covers: 2026-11-30, 2026-W48, a batch's id.")
    started_at = models.DateTimeField(default=timezone.now)
    summary = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "key"], name="one_run_per_job_and_key")]
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.job} {self.key}"


def parse_thresholds(text: str) -> list[tuple[int, bool]]:
    """`1000000, 10%` -> [(1000000, False), (10, True)]: credits, or a percentage of the policy's allowance."""
    thresholds = []
    for item in (part.replace("_", "") for part in re.split(r"[;,\s]+", text)):
        if not item:
            continue
        percent = item.endswith("%")
        number = item.removesuffix("%").strip()
        if not number.isdigit() or (percent and int(number) > 100):
            raise ValidationError(f"{item!r} is neither whole credits nor a percentage from 0% to 100%.")
        thresholds.append((int(number), percent))
    return thresholds


class PolicyThresholds(models.Model):
    """Low-balance thresholds for the members of one credit policy, instead of LOW_BALANCE_THRESHOLDS."""

    policy = models.OneToOneField("policies.Policy", on_delete=models.CASCADE, related_name="alert_thresholds")
    channels = models.CharField(
        max_length=500,
        blank=True,
        help_text="Told at once when one of this policy's members falls below a threshold: NOTIFY_URLS target "
        "names or email addresses, separated by commas.",
    )
    thresholds = models.CharField(
        max_length=200,
        help_text="Separated by commas: whole credits (1000000) or a percentage of the policy's amount (10%).",
    )

    class Meta:
        verbose_name = "policy's low-balance thresholds"
        verbose_name_plural = "policies' low-balance thresholds"

    def __str__(self) -> str:
        return f"{self.policy}: {self.thresholds}"

    def clean(self) -> None:
        try:
            parse_thresholds(self.thresholds)
        except ValidationError as exc:
            raise ValidationError({"thresholds": exc.messages}) from exc
        if unknown := [name for name in self.channel_names() if "@" not in name and name not in apprise_targets()]:
            raise ValidationError({"channels": f"Not a NOTIFY_URLS target or an address: {', '.join(unknown)}."})

    def channel_names(self) -> list[str]:
        return [name for name in re.split(r"[,\s]+", self.channels) if name]

    def credits(self) -> list[int]:
        """The thresholds in credits, highest first."""
        amount = self.policy.amount_credits or 0
        values = {
            amount * number // 100 if percent else number for number, percent in parse_thresholds(self.thresholds)
        }
        return sorted(values, reverse=True)


class WorkerHeartbeat(models.Model):
    """When the worker last ran a task (one row): the scheduler asks it for a heartbeat every run."""

    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"worker seen at {self.seen_at:%Y-%m-%d %H:%M:%S}"

    @classmethod
    def last_seen(cls) -> datetime | None:
        row = cls.objects.filter(pk=1).first()
        return row.seen_at if row else None
