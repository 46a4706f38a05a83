from django.contrib import admin
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR, ChangeList
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV, XLSX

from balances.admin_actions import CreditActionsMixin
from balances.admin_filters import (
    AutoRefillFilter,
    BalanceDocumentFilter,
    ContextFilter,
    CreditsBelowFilter,
    CreditsFilter,
    OlderRowsFilter,
    ProviderFilter,
    RoleFilter,
    TokenTypeFilter,
    effective_only,
    user_column_filter,
)
from balances.extra_columns import USER_COLUMNS, UserColumn, attach_labels, label_html, labels_for
from balances.forms import RefillForm
from balances.history import user_history_context
from balances.models import Balance, LibreChatUser, Transaction
from balances.resources import BalanceExportResource, UserExportResource
from ledger.changes import Target, targets_for_user_ids
from librechat.credits import format_credits, format_credits_and_usd
from librechat.mongo import librechat_db
from librechat.queries import duplicate_balance_ids, earliest_balances, search_user_ids
from librechat.refill import next_refill_at
from librechat.reservations import Spendable, spendable
from tenancy.admin_lists import TenantScopedAdminMixin
from web.admin_lists import (
    BoundedCountPaginator,
    ListTitleMixin,
    ReadOnlyAdminMixin,
    RowButtonsChangeList,
    SearchAsYouTypeMixin,
)

REFILL_FIELDS = ["auto_refill_enabled", "refill_interval_value", "refill_interval_unit", "refill_amount"]
REFILL_NOTE = (
    "LibreChat applies these lazily when a request finds the balance too low. If librechat.yaml "
    "fully specifies auto-refill, LibreChat rewrites them from the YAML at the user's next request."
)


class LibreChatPaginator(BoundedCountPaginator):
    """An unfiltered list's total from the collection's metadata, not a count of every document."""

    def estimated_total(self) -> int:
        return librechat_db()[self.object_list.model._meta.db_table].estimated_document_count()


def attach_users(rows: list) -> None:
    """One query for a page's users; a join (`select_related`) would run before MongoDB's sort and
    limit, over every row, and prefetch_related would filter with `$expr`, which skips the index."""
    users = LibreChatUser.objects.in_bulk({row.user_id for row in rows if row.user_id})
    for row in rows:
        type(row).user.field.set_cached_value(row, users.get(row.user_id))


class ExtraColumnsMixin:
    """The columns and filters other apps registered in balances.extra_columns (a user's policy)."""

    user_id_field = "user_id"  # where a row holds its user's id

    def get_list_display(self, request):
        return [*super().get_list_display(request), *map(_label_column, USER_COLUMNS)]

    def get_list_filter(self, request):
        filters = (user_column_filter(column, self.user_id_field) for column in USER_COLUMNS)
        return [*super().get_list_filter(request), *filters]


def _label_column(column: UserColumn):
    def show(row):
        return label_html(getattr(row, "extra_labels", {}).get(column.name))

    show.__name__ = column.name  # the column's CSS class
    return admin.display(description=column.title)(show)


class BalanceChangeList(RowButtonsChangeList):
    def get_results(self, request):
        super().get_results(request)
        page = list(self.result_list)
        attach_users(page)
        attach_labels(page, lambda balance: balance.user_id)
        earliest = earliest_balances({balance.user_id for balance in page})
        for balance in page:
            document = earliest.get(balance.user_id, {})
            balance.is_duplicate = document.get("_id", balance.pk) != balance.pk
            balance.spendable = None if balance.is_duplicate else spendable(document)
        self.result_list = page
        # "Select all" says how many users the matching documents are, as the top-up review will.
        duplicates = duplicate_balance_ids()
        in_result = self.queryset.filter(id__in=duplicates).count() if duplicates else 0
        self.user_count = None if self.paginator.count_is_capped else self.result_count - in_result


class UserChangeList(RowButtonsChangeList):
    def get_results(self, request):
        super().get_results(request)
        page = list(self.result_list)
        balances = earliest_balances(user.pk for user in page)
        for user in page:
            user.credits = balances.get(user.pk, {}).get("tokenCredits")
        attach_labels(page, lambda user: user.pk)
        self.result_list = page


class TransactionChangeList(ChangeList):
    def get_results(self, request):
        super().get_results(request)
        page = list(self.result_list)
        attach_users(page)
        self.result_list = page
        # Deeper pages by `_id` (an index seek), not by skipping every row before them.
        newest_first = ORDER_VAR not in self.params
        if newest_first and len(page) == self.list_per_page:
            self.older_rows_url = self.get_query_string({OlderRowsFilter.parameter_name: str(page[-1].pk)}, [PAGE_VAR])


@admin.register(Balance)
class BalanceAdmin(
    ListTitleMixin,
    TenantScopedAdminMixin,
    SearchAsYouTypeMixin,
    ExtraColumnsMixin,
    CreditActionsMixin,
    ExportMixin,
    admin.ModelAdmin,
):
    resource_classes = [BalanceExportResource]
    formats = [CSV, XLSX]
    # Few, dense columns so that at 390 px the user and the credits are what shows first.
    list_display = ["user_column", "credits", "row_actions", "available", "refill", "user_role", "user_created"]
    list_display_links = ["user_column"]
    list_filter = [CreditsFilter, CreditsBelowFilter, RoleFilter, AutoRefillFilter]
    # Counting every filter choice would join users per choice: minutes on a few hundred users.
    show_facets = admin.ShowFacets.NEVER
    search_fields = ["user__email"]  # shows the search box; the search itself is get_search_results
    search_help_text = "Any part of a name, username or email."
    ordering = ["-token_credits"]
    list_select_related = False
    paginator = LibreChatPaginator
    show_full_result_count = False
    change_form_template = "admin/balances/balance/change_form.html"
    form = RefillForm
    import_export_change_list_template = "admin/balances/balance/change_list.html"
    readonly_fields = ["user_link", "credits", "available_and_holds", "last_refill", "next_refill", "refill"]
    fieldsets = [
        (None, {"fields": ["user_link", "credits", "available_and_holds"]}),
        ("Auto-refill", {"fields": [*REFILL_FIELDS, "last_refill", "next_refill"], "description": REFILL_NOTE}),
    ]

    def get_changelist(self, request, **kwargs):
        return BalanceChangeList

    def get_fieldsets(self, request, obj=None):
        if self.has_change_permission(request, obj):
            return self.fieldsets
        # Read-only, Django would show a missing `autoRefillEnabled` as "unknown"; LibreChat reads it as off.
        shown = ["refill", *REFILL_FIELDS[1:], "last_refill", "next_refill"]
        return [self.fieldsets[0], ("Auto-refill", {**self.fieldsets[1][1], "fields": shown})]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(user_id__in=search_user_ids(term)), False

    def get_export_queryset(self, request):
        return effective_only(super().get_export_queryset(request)).select_related("user")

    def targets_for(self, queryset):
        user_ids = queryset.values_list("user_id", flat=True).iterator(chunk_size=2000)
        return targets_for_user_ids(user_id for user_id in user_ids if user_id)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Only the refill fields the admin touched: credits change through the ledger alone.
        changed = [name for name in REFILL_FIELDS if name in form.changed_data]
        if changed:
            obj.save(update_fields=changed)
            form.record_changes(actor=request.user.get_username())
        if obj.auto_refill_enabled and "auto_refill_enabled" in changed:
            # LibreChat treats a missing lastRefill as due at once: the first refill would land
            # on the user's next request instead of one interval after enabling it.
            Balance.objects.filter(pk=obj.pk, last_refill=None).update(last_refill=timezone.now())

    def change_view(self, request, object_id, form_url="", extra_context=None):
        balance = self.get_object(request, object_id)
        context = user_history_context(balance.user_id if balance else None)
        if balance and balance.user_id:
            context["librechat_user_id"] = str(balance.user_id)
        return super().change_view(request, object_id, form_url, {**context, **(extra_context or {})})

    @admin.display(description="user", ordering="user__email")
    def user_column(self, balance):
        user = balance.known_user
        if user is None:
            return f"(deleted user {balance.user_id})"
        return format_html('{}<br><span class="quiet">{}</span>', user.email, user.name or "")

    @admin.display(description="role")
    def user_role(self, balance):
        return balance.known_user.role if balance.known_user else ""

    @admin.display(description="user since", ordering="user__created_at")
    def user_created(self, balance):
        user = balance.known_user
        return user.created_at.date() if user and user.created_at else None

    @admin.display(description="credits", ordering="token_credits")
    def credits(self, balance):
        text = format_credits_and_usd(balance.token_credits)
        if getattr(balance, "is_duplicate", False):
            return format_html("{}<br><em>duplicate: LibreChat uses the user's earliest balance</em>", text)
        return text

    @admin.display(description="available")
    def available(self, balance):
        found = getattr(balance, "spendable", None)
        if found is None or found.available_credits is None:
            return ""
        if not found.held_credits:
            return format_credits(found.available_credits)
        held = format_credits(found.held_credits)
        return format_html('{}<br><span class="quiet">{} held</span>', format_credits(found.available_credits), held)

    @admin.display(description="available")
    def available_and_holds(self, balance):
        return holds_html(spendable(_stored_document(balance)))

    @admin.display(description="next refill")
    def next_refill(self, balance):
        due = next_refill_at(_stored_document(balance))
        if due is None:
            return "none: auto-refill is off (or has no refill amount)"
        if due <= timezone.now():
            return "due now: at the user's next request that finds the balance too low"
        return f"{due:%Y-%m-%d %H:%M:%S} UTC, then at a request that finds the balance too low"

    @admin.display(description="auto-refill")
    def refill(self, balance):
        return balance.refill_summary

    @admin.display(description="user")
    def user_link(self, balance):
        user = balance.known_user
        if user is None:
            return f"{balance.user_id} (deleted user)"
        url = reverse("admin:balances_librechatuser_change", args=[balance.user_id])
        return format_html('<a href="{}">{}</a> ({})', url, user.email, user.name or "")


@admin.register(LibreChatUser)
class LibreChatUserAdmin(
    ListTitleMixin,
    TenantScopedAdminMixin,
    SearchAsYouTypeMixin,
    ExtraColumnsMixin,
    ReadOnlyAdminMixin,
    CreditActionsMixin,
    ExportMixin,
    admin.ModelAdmin,
):
    list_title = "Users"
    resource_classes = [UserExportResource]
    formats = [CSV, XLSX]
    # Credits right after the email so that they show on a phone, then the row's buttons.
    list_display = ["email", "credits", "row_actions", "name", "username", "role", "provider", "created_at"]
    list_filter = [BalanceDocumentFilter, RoleFilter, ProviderFilter]
    show_facets = admin.ShowFacets.NEVER
    search_fields = ["email", "name", "username"]
    search_help_text = "Any part of a name, username or email."
    ordering = ["email"]
    paginator = LibreChatPaginator
    show_full_result_count = False
    change_form_template = "admin/balances/librechatuser/change_form.html"
    import_export_change_list_template = "admin/balances/librechatuser/change_list.html"
    fields = ["email", "name", "username", "role", "provider", "email_verified", "tenant_id", "created_at"]
    user_id_field = "id"

    def get_changelist(self, request, **kwargs):
        return UserChangeList

    def targets_for(self, queryset):
        users = queryset.values_list("id", "email").iterator(chunk_size=2000)
        return (Target(user_id, email or "") for user_id, email in users)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        user = self.get_object(request, object_id)
        context = user_history_context(user.pk if user else None)
        if user:
            context["librechat_user_id"] = str(user.pk)
        if user:
            balances = list(Balance.objects.filter(user_id=user.pk).order_by("id"))
            context.update({"balance": balances[0] if balances else None, "duplicate_balances": balances[1:]})
            context["holds_html"] = holds_html(spendable(earliest_balances([user.pk]).get(user.pk)))
            labels = labels_for([user.pk])
            context["extra_labels"] = [
                (column.title, label_html(labels[column.name].get(user.pk))) for column in USER_COLUMNS
            ]
        return super().change_view(request, object_id, form_url, {**context, **(extra_context or {})})

    @admin.display(description="credits")
    def credits(self, user):
        if user.credits is None:
            return "no balance"
        return format_credits_and_usd(user.credits)


@admin.register(Transaction)
class TransactionAdmin(ListTitleMixin, TenantScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    # Credits right after the user so that they show on a phone.
    list_display = ["created_at", "user", "credits", "usd", "token_type", "context", "model", "tokens"]
    list_filter = [TokenTypeFilter, ContextFilter, OlderRowsFilter]
    show_facets = admin.ShowFacets.NEVER
    search_fields = ["user__email"]  # shows the search box; the search itself is get_search_results
    search_help_text = "Any part of the user's name, username or email."
    raw_id_fields = ["user"]
    list_select_related = False
    paginator = LibreChatPaginator
    show_full_result_count = False
    ordering = ["-id"]

    def get_changelist(self, request, **kwargs):
        return TransactionChangeList

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(user_id__in=search_user_ids(term)), False

    @admin.display(description="tokens", ordering="raw_amount")
    def tokens(self, row):
        return "" if row.raw_amount is None else format_credits(row.raw_amount)

    @admin.display(description="credits", ordering="token_value")
    def credits(self, row):
        return format_credits(row.token_value)


def _stored_document(balance: Balance) -> dict | None:
    """The balance document as stored (LibreChat's hidden fields and unconverted values), read once per page."""
    if not hasattr(balance, "stored_document"):
        balance.stored_document = librechat_db().balances.find_one({"_id": balance.pk})
    return balance.stored_document


def holds_html(found: Spendable) -> SafeString | str:
    """Available credits and each in-flight request's hold with its expiry, for a user's pages."""
    if found.available_credits is None:
        return ""
    available = format_credits_and_usd(found.available_credits)
    if not found.holds:
        return format_html("{} (nothing held by requests in flight)", available)
    rows = ((format_credits(hold.amount_credits), f"{hold.expires_at:%Y-%m-%d %H:%M:%S}") for hold in found.holds)
    holds = format_html_join("", "<li>{} credits until {} UTC</li>", rows)
    held = format_credits(found.held_credits)
    return format_html("{} after {} credits held by requests in flight:<ul>{}</ul>", available, held, holds)
