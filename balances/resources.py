"""django-import-export resources: the balance and user exports."""

from decimal import Decimal

from import_export import fields, resources, widgets

from balances.models import Balance, LibreChatUser
from ledger.plans import chunks
from librechat.credits import format_credits, usd_from_credits
from librechat.documents import credits_number
from librechat.queries import documents_with_live_holds, earliest_balances, has_tenants
from librechat.reservations import spendable
from web.spreadsheet import escape_formula


class SpreadsheetSafeResource(resources.ModelResource):
    """Every exported text cell escaped, so a user-chosen name never runs as a formula (CSV or XLSX)."""

    def export_field(self, field, instance, **kwargs):
        return escape_formula(super().export_field(field, instance, **kwargs))

    def get_export_fields(self, selected_fields=None):
        exported = super().get_export_fields(selected_fields)
        # Asked once per export (this runs for every row): installs without tenants get no tenant column.
        if not hasattr(self, "with_tenants"):
            self.with_tenants = has_tenants()
        return exported if self.with_tenants else [field for field in exported if field.column_name != "tenant"]


class BalanceExportResource(SpreadsheetSafeResource):
    # ObjectIds export blank through the default integer widget: declare them as text.
    id = fields.Field(attribute="id", column_name="balance_id", widget=widgets.CharWidget())
    user_id = fields.Field(attribute="user_id", column_name="user_id", widget=widgets.CharWidget())
    email = fields.Field(attribute="user__email", column_name="email")
    name = fields.Field(attribute="user__name", column_name="name")
    role = fields.Field(attribute="user__role", column_name="role")
    tenant = fields.Field(attribute="user__tenant_id", column_name="tenant")
    credits = fields.Field(column_name="credits")
    usd = fields.Field(column_name="usd")
    available = fields.Field(column_name="available")
    held = fields.Field(column_name="held")
    auto_refill = fields.Field(attribute="auto_refill_enabled", column_name="auto_refill")
    refill_amount = fields.Field(attribute="refill_amount", column_name="refill_amount")
    refill_every = fields.Field(column_name="refill_every")
    last_refill = fields.Field(attribute="last_refill", column_name="last_refill")

    class Meta:
        model = Balance
        fields = export_order = (
            "id",
            "user_id",
            "email",
            "name",
            "role",
            "tenant",
            "credits",
            "usd",
            "available",
            "held",
            "auto_refill",
            "refill_amount",
            "refill_every",
            "last_refill",
        )

    def before_export(self, queryset, **kwargs):
        self.held_documents = documents_with_live_holds()

    def dehydrate_credits(self, balance: Balance):
        number = credits_number(balance.token_credits)
        return round(number) if number is not None else format_credits(balance.token_credits)

    def dehydrate_available(self, balance: Balance) -> int | None:
        document = self.held_documents.get(balance.pk, {"tokenCredits": balance.token_credits})
        available = spendable(document).available_credits
        return None if available is None else round(available)

    def dehydrate_held(self, balance: Balance) -> int:
        return round(spendable(self.held_documents.get(balance.pk)).held_credits)

    def dehydrate_usd(self, balance: Balance) -> Decimal | None:
        # A number, not text, so a spreadsheet can sum the column.
        return None if credits_number(balance.token_credits) is None else usd_from_credits(balance.token_credits)

    def dehydrate_refill_every(self, balance: Balance) -> str:
        if not balance.refill_interval_value:
            return ""
        return f"{balance.refill_interval_value} {balance.refill_interval_unit or ''}".strip()


class UserExportResource(SpreadsheetSafeResource):
    id = fields.Field(attribute="id", column_name="user_id", widget=widgets.CharWidget())
    tenant = fields.Field(attribute="tenant_id", column_name="tenant")
    credits = fields.Field(column_name="credits")
    available = fields.Field(column_name="available")
    held = fields.Field(column_name="held")

    class Meta:
        model = LibreChatUser
        fields = export_order = (
            "id",
            "email",
            "name",
            "username",
            "role",
            "provider",
            "tenant",
            "credits",
            "available",
            "held",
            "created_at",
        )

    def before_export(self, queryset, **kwargs):
        user_ids = queryset.values_list("id", flat=True).iterator(chunk_size=2000)
        self.balance_by_user = {}
        for chunk in chunks(user_ids, 2000):
            self.balance_by_user.update(earliest_balances(chunk))

    def dehydrate_available(self, user: LibreChatUser) -> int | None:
        available = spendable(self.balance_by_user.get(user.pk)).available_credits
        return None if available is None else round(available)

    def dehydrate_held(self, user: LibreChatUser) -> int | None:
        return round(spendable(self.balance_by_user[user.pk]).held_credits) if user.pk in self.balance_by_user else None

    def dehydrate_credits(self, user: LibreChatUser):
        credits = self.balance_by_user.get(user.pk, {}).get("tokenCredits")
        number = credits_number(credits)
        return round(number) if number is not None else (None if credits is None else format_credits(credits))
