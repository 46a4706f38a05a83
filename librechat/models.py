"""LibreChat's own MongoDB collections, mapped read-mostly.

LibreChat owns this schema: only the fields we use are mapped, unknown fields are left alone
(a save with `update_fields` never touches them), and secrets such as `password`,
`totpSecret`, `backupCodes` and `refreshToken` are deliberately not mapped at all.
Credit changes never go through `save()`: see `ledger`.
"""

from django.db import models

from librechat.credits import format_credits, format_usd


class LibreChatUser(models.Model):
    name = models.CharField(max_length=200, blank=True, null=True)
    username = models.CharField(max_length=200, blank=True, null=True)
    email = models.CharField(max_length=320, blank=True, null=True)
    role = models.CharField(max_length=20, blank=True, null=True)
    provider = models.CharField(max_length=40, blank=True, null=True)
    email_verified = models.BooleanField(db_column="emailVerified", null=True)
    tenant_id = models.CharField(db_column="tenantId", max_length=100, blank=True, null=True)
    created_at = models.DateTimeField(db_column="createdAt", null=True)
    updated_at = models.DateTimeField(db_column="updatedAt", null=True)

    class Meta:
        managed = False
        db_table = "users"
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email or self.username or str(self.pk)


class Balance(models.Model):
    class RefillUnit(models.TextChoices):
        SECONDS = "seconds"
        MINUTES = "minutes"
        HOURS = "hours"
        DAYS = "days"
        WEEKS = "weeks"
        MONTHS = "months"

    # Nullable so that a balance whose user was deleted still lists (a left join).
    user = models.ForeignKey(
        LibreChatUser,
        db_column="user",
        null=True,
        on_delete=models.DO_NOTHING,
        related_name="balances",
    )
    token_credits = models.FloatField("credits", db_column="tokenCredits", null=True)
    auto_refill_enabled = models.BooleanField("auto-refill", db_column="autoRefillEnabled", null=True)
    refill_interval_value = models.PositiveIntegerField(
        "refill every", db_column="refillIntervalValue", null=True, blank=True
    )
    refill_interval_unit = models.CharField(
        "unit",
        db_column="refillIntervalUnit",
        max_length=10,
        choices=RefillUnit.choices,
        null=True,
        blank=True,
    )
    refill_amount = models.PositiveIntegerField(
        "refill amount (credits)", db_column="refillAmount", null=True, blank=True
    )
    last_refill = models.DateTimeField(db_column="lastRefill", null=True, blank=True)
    # Read for tenant lists and filters only; every save names its `update_fields`, and LibreChat's
    # tenant plugin scopes by this value, so it is never written.
    tenant_id = models.CharField(db_column="tenantId", max_length=100, null=True, editable=False)

    class Meta:
        managed = False
        db_table = "balances"
        ordering = ["-token_credits"]

    def __str__(self) -> str:
        user = self.known_user
        if user is None:
            return f"Balance of a deleted user ({self.user_id})"
        return f"{user.name or user.username or 'Balance'} <{user.email}>"

    @property
    def known_user(self) -> LibreChatUser | None:
        """The balance's user, or None: LibreChat deletes users and may leave their balance behind."""
        try:
            return self.user
        except LibreChatUser.DoesNotExist:
            return None

    @property
    def usd(self) -> str:
        return format_usd(self.token_credits)

    @property
    def refill_summary(self) -> str:
        if not self.auto_refill_enabled:
            return "off"
        every = f"{self.refill_interval_value or '?'} {self.refill_interval_unit or '?'}"
        return f"+{format_credits(self.refill_amount or 0)} every {every}"


class Transaction(models.Model):
    class TokenType(models.TextChoices):
        PROMPT = "prompt"
        COMPLETION = "completion"
        CREDITS = "credits"

    user = models.ForeignKey(
        LibreChatUser,
        db_column="user",
        null=True,
        on_delete=models.DO_NOTHING,
        related_name="transactions",
    )
    conversation_id = models.CharField(db_column="conversationId", max_length=100, null=True)
    model = models.CharField(max_length=200, null=True)
    context = models.CharField(max_length=100, null=True)
    token_type = models.CharField(db_column="tokenType", max_length=20, choices=TokenType.choices, null=True)
    raw_amount = models.FloatField(db_column="rawAmount", null=True)
    rate = models.FloatField(null=True)
    token_value = models.FloatField(db_column="tokenValue", null=True)
    input_tokens = models.IntegerField(db_column="inputTokens", null=True)
    write_tokens = models.IntegerField(db_column="writeTokens", null=True)
    read_tokens = models.IntegerField(db_column="readTokens", null=True)
    # Newer LibreChat versions stamp the user's tenant on every row; read only, for tenant lists.
    tenant_id = models.CharField(db_column="tenantId", max_length=100, null=True, editable=False)
    created_at = models.DateTimeField(db_column="createdAt", null=True)
    updated_at = models.DateTimeField(db_column="updatedAt", null=True)

    class Meta:
        managed = False
        db_table = "transactions"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.token_type} {format_credits(self.token_value)} ({self.context})"

    @property
    def usd(self) -> str:
        """Cost (or credit) of the row; LibreChat already priced it, so never re-price."""
        return format_usd(self.token_value)


class Agent(models.Model):
    # LibreChat's agents carry their own string id next to `_id`.
    agent_id = models.CharField(db_column="id", max_length=100)
    name = models.CharField(max_length=200, null=True)
    provider = models.CharField(max_length=100, null=True)
    model = models.CharField(max_length=200, null=True)
    author = models.ForeignKey(
        LibreChatUser,
        db_column="author",
        null=True,
        on_delete=models.DO_NOTHING,
        related_name="agents",
    )

    class Meta:
        managed = False
        db_table = "agents"

    def __str__(self) -> str:
        return f"{self.name or self.agent_id} ({self.model})"
