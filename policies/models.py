"""Credit policies: who gets what credit when, applied by the ledger once per period."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from ledger.changes import Kind, clean_amount
from librechat.credits import format_credits


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class Policy(models.Model):
    """A tier: the users it reaches, the change it makes and its schedule."""

    class Action(models.TextChoices):
        TOP_UP_TO = "top_up_to", "top up to N (unused credit kept, never above N)"
        RESET = "reset", "reset to N"
        ADD = "add", "add N (optionally never above a cap)"
        EXPIRE = "expire", "expire to 0"

    class Frequency(models.TextChoices):
        DAILY = "daily", "daily"
        WEEKLY = "weekly", "weekly"
        MONTHLY = "monthly", "monthly"

    class Weekday(models.IntegerChoices):
        MONDAY = 0
        TUESDAY = 1
        WEDNESDAY = 2
        THURSDAY = 3
        FRIDAY = 4
        SATURDAY = 5
        SUNDAY = 6

    LAST_DAY = 0
    MONTH_DAYS = [(day, str(day)) for day in range(1, 29)] + [(LAST_DAY, "last day of the month")]

    name = models.CharField(max_length=100, unique=True)
    priority = models.IntegerField(default=100, help_text="Lower first: a user belongs to the first active match.")
    active = models.BooleanField(default=True, help_text="Off: paused, reaches nobody and never runs.")
    notes = models.TextField(blank=True)

    roles = models.TextField(blank=True, help_text="LibreChat roles (USER, ADMIN, ...), one per line.")
    groups = models.TextField(blank=True, help_text="LibreChat group names, one per line.")
    email_domains = models.TextField(blank=True, help_text="Email domains (example.edu), one per line.")
    emails = models.TextField(blank=True, help_text="Email addresses, one per line.")
    everyone_else = models.BooleanField(default=False, help_text="Also everyone no other active policy reaches.")

    action = models.CharField(max_length=10, choices=Action.choices)
    amount_credits = models.BigIntegerField(default=0, help_text="N, in credits (1,000,000 = $1.00).")
    cap_credits = models.BigIntegerField(null=True, blank=True, help_text="For add: never raise a balance above M.")

    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY)
    time_of_day = models.TimeField(default="00:00", help_text="In POLICY_TIME_ZONE.")
    weekday = models.IntegerField(choices=Weekday.choices, default=Weekday.MONDAY, help_text="For weekly.")
    month_day = models.IntegerField(choices=MONTH_DAYS, default=1, help_text="For monthly.")
    catch_up = models.BooleanField(
        default=False, help_text="After downtime, apply every missed period, not only the latest."
    )
    start_allowance_credits = models.BigIntegerField(
        null=True, blank=True, help_text="Added once to each member whose LibreChat account is newer than the policy."
    )

    created_at = models.DateTimeField(default=timezone.now)
    # Periods that began before the policy was last switched on are not run: a new or resumed
    # policy starts with its next period ("Run now" covers the current one).
    active_since = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["priority", "pk"]
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if self.pk and self.active and not Policy.objects.filter(pk=self.pk, active=True).exists():
            self.active_since = timezone.now()
        super().save(*args, **kwargs)

    def clean(self):
        if self.name.strip().lower() == "none":
            # Lists filter by policy name, and "none" there means the users no policy reaches.
            raise ValidationError({"name": '"none" is reserved for the users no policy reaches.'})
        if self.action not in self.Action.values:
            return  # the field's own validation says so
        if self.cap_credits is not None and self.action != self.Action.ADD:
            raise ValidationError({"cap_credits": "Only an add has a cap."})
        amounts = {"cap_credits": Kind.ADD, "start_allowance_credits": Kind.ADD}
        if self.action != self.Action.EXPIRE:
            amounts["amount_credits"] = self.ledger_kind
        for name, kind in amounts.items():
            if getattr(self, name) is not None:
                try:
                    clean_amount(getattr(self, name), kind)
                except ValidationError as exc:
                    raise ValidationError({name: exc.messages}) from exc
        if not (self.roles or self.groups or self.email_domains or self.emails or self.everyone_else):
            raise ValidationError("Say who the policy reaches: roles, groups, domains, emails or everyone else.")

    @property
    def ledger_kind(self) -> str:
        """The ledger's kind for this action (an add with a cap is still an add, with amounts per user)."""
        return {
            self.Action.TOP_UP_TO: Kind.TOP_UP_TO,
            self.Action.RESET: Kind.SET,
            self.Action.ADD: Kind.ADD,
            self.Action.EXPIRE: Kind.SET,
        }[self.action]

    @property
    def ledger_amount(self) -> int:
        return 0 if self.action == self.Action.EXPIRE else self.amount_credits

    @property
    def role_list(self) -> list[str]:
        return _lines(self.roles)

    @property
    def group_list(self) -> list[str]:
        return _lines(self.groups)

    @property
    def domain_list(self) -> list[str]:
        domains = (line.lower().lstrip("@") for line in _lines(self.email_domains))
        return [domain for domain in domains if domain]  # a bare "@" names no domain

    @property
    def email_list(self) -> list[str]:
        return [email.lower() for email in _lines(self.emails)]

    def describe_action(self) -> str:
        amount = format_credits(self.amount_credits)
        if self.action == self.Action.TOP_UP_TO:
            return f"top up to {amount}"
        if self.action == self.Action.RESET:
            return f"reset to {amount}"
        if self.action == self.Action.EXPIRE:
            return "expire to 0"
        cap = f", never above {format_credits(self.cap_credits)}" if self.cap_credits is not None else ""
        return f"add {amount}{cap}"

    def describe_schedule(self) -> str:
        at = self.time_of_day.strftime("%H:%M") if hasattr(self.time_of_day, "strftime") else self.time_of_day
        if self.frequency == self.Frequency.DAILY:
            return f"daily at {at}"
        if self.frequency == self.Frequency.WEEKLY:
            return f"weekly on {self.Weekday(self.weekday).label} at {at}"
        day = "the last day" if self.month_day == self.LAST_DAY else f"day {self.month_day}"
        return f"monthly on {day} at {at}"


class PolicyRun(models.Model):
    """One period of one policy, claimed before its batch opens; what the batch was opened with.

    No foreign key: a deleted policy's runs (and their ledger batches) stay in the history.
    """

    policy_pk = models.IntegerField(db_index=True)
    policy_name = models.CharField(max_length=100)
    batch_id = models.CharField(max_length=64, unique=True)
    period_start = models.DateTimeField(null=True, blank=True, help_text="Empty: a one-off run.")
    # The change as the policy said when the period's run began (edits take effect next period).
    kind = models.CharField(max_length=20)
    amount_credits = models.BigIntegerField(null=True)
    cap_credits = models.BigIntegerField(null=True)
    actor = models.CharField(max_length=150)
    reason = models.TextField()
    targets_added = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["policy_pk", "period_start"], name="run_policy_period")]

    def __str__(self) -> str:
        return f"{self.policy_name}: {self.batch_id}"

    @property
    def label(self) -> str:
        """What the run was for: a period, a "Run now", or the start allowances."""
        if self.period_start:
            return f"period from {self.period_start:%Y-%m-%d %H:%M} UTC"
        return "start allowances" if self.batch_id.endswith("-start") else "run now"
