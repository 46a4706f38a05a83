"""Hourly rollups of LibreChat's `transactions` and `conversations`, kept in this tool's own database.

Pages and reports read only these tables; `analytics.rollup` keeps them in step with MongoDB.
Costs are integer thousandths of a credit (1 millicredit = 1e-9 USD): LibreChat's `tokenValue` has
fractions of a credit (rate 0.15 x 333 tokens), integer sums are exact and identical on SQLite and
PostgreSQL whatever the order of the rows, and a 64-bit total holds over 9 billion USD.
"""

from django.db import models
from django.utils import timezone

MILLICREDITS_PER_CREDIT = 1000


class UsageRollup(models.Model):
    """One hour x user x model x agent x token type: what LibreChat recorded, summed."""

    hour = models.DateTimeField()
    user_id = models.CharField(max_length=24)
    # The user's LibreChat tenant when the hour was rolled up (blank without one).
    tenant_id = models.CharField(max_length=100, blank=True, default="")
    # The model that did the work: for agent rows, the agent's underlying model.
    model = models.CharField(max_length=200, blank=True)
    agent_id = models.CharField(max_length=100, blank=True)
    token_type = models.CharField(max_length=20)
    rows = models.PositiveIntegerField()
    raw_tokens = models.BigIntegerField()
    input_tokens = models.BigIntegerField()
    cache_write_tokens = models.BigIntegerField()
    cache_read_tokens = models.BigIntegerField()
    # abs(tokenValue) of spending rows; signed tokenValue of `credits` rows (grants), never mixed.
    cost_millicredits = models.BigIntegerField()
    granted_millicredits = models.BigIntegerField()
    # Rows whose rawAmount or tokenValue is not a number (NaN, a string): counted here, left out of the sums.
    invalid_rows = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["hour", "user_id", "model", "agent_id", "token_type"], name="usage_rollup_key"
            )
        ]
        indexes = [models.Index(fields=["hour", "user_id"]), models.Index(fields=["tenant_id", "hour"])]
        permissions = [("view_analytics", "Can see usage analytics")]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H:00} {self.user_id} {self.model} {self.token_type}"


class ConversationRollup(models.Model):
    """Conversations started per hour and user (LibreChat's `conversations`, by creation time)."""

    hour = models.DateTimeField()
    user_id = models.CharField(max_length=24)
    tenant_id = models.CharField(max_length=100, blank=True, default="")
    conversations = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hour", "user_id"], name="conversation_rollup_key")]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H:00} {self.user_id}: {self.conversations}"


class AgentConversation(models.Model):
    """Which agent a conversation belongs to, so newer agent rows (carrying the real model) resolve."""

    conversation_id = models.CharField(max_length=100, unique=True)
    agent_id = models.CharField(max_length=100)

    def __str__(self) -> str:
        return f"{self.conversation_id} -> {self.agent_id}"


class RollupState(models.Model):
    """The single watermark row: how far the rollups reach and when they were last refreshed."""

    covered_until = models.DateTimeField(null=True)
    refreshed_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"rollups up to {self.covered_until}"

    @classmethod
    def load(cls) -> "RollupState":
        state, _ = cls.objects.get_or_create(pk=1)
        return state

    def age_seconds(self) -> float | None:
        if self.refreshed_at is None:
            return None
        return (timezone.now() - self.refreshed_at).total_seconds()
