"""django-import-export resources: the balance export and the CSV top-up import."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets

from balances.credit_rows import check_credit_row, known_user_ids
from balances.models import Balance, LibreChatUser
from ledger.changes import Kind
from ledger.models import ImportRow
from ledger.plans import chunks
from librechat.credits import format_credits, format_credits_and_usd, usd_from_credits
from librechat.documents import credits_number
from librechat.queries import documents_with_live_holds, earliest_balances
from librechat.reservations import spendable
from web.spreadsheet import escape_formula


class SpreadsheetSafeResource(resources.ModelResource):
    """Every exported text cell escaped, so a user-chosen name never runs as a formula (CSV or XLSX)."""

    def export_field(self, field, instance, **kwargs):
        return escape_formula(super().export_field(field, instance, **kwargs))


class BalanceExportResource(SpreadsheetSafeResource):
    # ObjectIds export blank through the default integer widget: declare them as text.
    id = fields.Field(attribute="id", column_name="balance_id", widget=widgets.CharWidget())
    user_id = fields.Field(attribute="user_id", column_name="user_id", widget=widgets.CharWidget())
    email = fields.Field(attribute="user__email", column_name="email")
    name = fields.Field(attribute="user__name", column_name="name")
    role = fields.Field(attribute="user__role", column_name="role")
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


class CreditImportResource(resources.ModelResource):
    """Rows of `email,amount[,reason]`; the dry run lists every bad row before anything is applied."""

    email = fields.Field(attribute="email", column_name="email")
    amount = fields.Field(attribute="amount_credits", column_name="amount", widget=widgets.CharWidget())
    reason = fields.Field(attribute="reason", column_name="reason", default="")
    # Shown in the preview only: what each row will do to the balance as it stands now.
    balance_now = fields.Field(attribute="preview_balance_now", column_name="balance now", readonly=True)
    balance_after = fields.Field(attribute="preview_balance_after", column_name="after", readonly=True)

    class Meta:
        model = ImportRow
        fields = ("email", "amount", "reason", "balance_now", "balance_after")
        import_id_fields = ()
        use_bulk = False
        # One ImportRow per line: never look up and overwrite a row from an earlier file.
        skip_unchanged = False

    def __init__(self, mode: str = Kind.ADD, batch_id: str = ""):
        super().__init__()
        self.mode = mode
        self.batch_id = batch_id
        self.user_ids_by_email: dict[str, object] = {}
        self.seen_emails: set[str] = set()
        self.balances: dict = {}
        self.total_delta_credits = 0.0

    def get_instance(self, instance_loader, row):
        return None

    def before_import(self, dataset, **kwargs):
        if "email" not in (dataset.headers or []) or "amount" not in dataset.headers:
            raise ValidationError("The file needs the columns email and amount (reason is optional).")
        self.user_ids_by_email = known_user_ids(dataset["email"])
        self.balances = earliest_balances(self.user_ids_by_email.values())

    def after_import(self, dataset, result, **kwargs):
        # Read by the preview template: the mode and what the whole file will change.
        result.credit_mode = Kind(self.mode).label
        result.credit_total = format_credits_and_usd(self.total_delta_credits, " credits")

    def _stored(self, row: ImportRow):
        user_id = self.user_ids_by_email.get(row.email)
        return self.balances[user_id].get("tokenCredits", 0) if user_id in self.balances else None

    def _after(self, row: ImportRow) -> float | None:
        current = credits_number(self._stored(row) or 0)
        if current is None or not isinstance(row.amount_credits, int):
            return None
        return current + row.amount_credits if self.mode == Kind.ADD else row.amount_credits

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        instance.email, instance.amount_credits, errors = check_credit_row(
            instance.email, instance.amount_credits, self.mode, self.user_ids_by_email, self.seen_emails
        )
        instance.batch_id = self.batch_id
        instance.reason = instance.reason or ""
        if errors:
            raise ValidationError(errors)
        after = self._after(instance)
        instance.preview_balance_now = format_credits(self._stored(instance))
        instance.preview_balance_after = "" if after is None else format_credits(after)
        if after is not None:
            self.total_delta_credits += after - (credits_number(self._stored(instance) or 0) or 0)
