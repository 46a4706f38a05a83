"""Changelist filters for LibreChat balances, users and transactions."""

import operator

from bson import ObjectId
from django.core.exceptions import ValidationError
from django.db.models import Q

from balances.extra_columns import UserColumn
from librechat.credits import LARGEST_THRESHOLD_CREDITS, format_credits, parse_credits
from librechat.models import LibreChatUser, Transaction
from librechat.queries import (
    documents_with_live_holds,
    duplicate_balance_ids,
    user_ids_matching,
    user_ids_with_balance,
)
from librechat.reservations import spendable
from web.admin_lists import CheckedFilter, ExactValueFilter, TypedValueFilter

LOW_BALANCE_THRESHOLDS = [1_000_000, 2_000_000, 3_000_000, 4_000_000, 5_000_000]


class CreditsFilter(CheckedFilter):
    """On available credits: what LibreChat admits requests against (credits less in-flight holds)."""

    title = "available credits"
    parameter_name = "credits"
    replaces = ["credits_below"]

    def lookups(self, request, model_admin):
        below = [(f"below_{n}", f"below {format_credits(n)}") for n in LOW_BALANCE_THRESHOLDS]
        return [("zero", "zero"), *below]

    def problem_with(self, value: str) -> str | None:
        if value.startswith("below_"):
            return threshold_problem(value.removeprefix("below_"))
        return super().problem_with(value)

    def filter(self, request, queryset, value: str):
        if value == "zero":
            return available_below(queryset, 0, inclusive=True)
        threshold = parse_credits(value.removeprefix("below_"), maximum_credits=LARGEST_THRESHOLD_CREDITS)
        return available_below(queryset, threshold)


class CreditsBelowFilter(TypedValueFilter):
    """A free threshold typed by the admin: `?credits_below=2500000`."""

    title = "available credits below (custom)"
    parameter_name = "credits_below"
    placeholder = "e.g. 2500000"
    replaces = ["credits"]

    def problem_with(self, value: str) -> str | None:
        return threshold_problem(value)

    def filter(self, request, queryset, value: str):
        threshold = parse_credits(value, maximum_credits=LARGEST_THRESHOLD_CREDITS)
        return available_below(queryset, threshold)


class AutoRefillFilter(CheckedFilter):
    """LibreChat treats a missing `autoRefillEnabled` as off, and so does this filter."""

    title = "auto-refill"
    parameter_name = "auto_refill"

    def lookups(self, request, model_admin):
        return [("on", "on"), ("off", "off")]

    def filter(self, request, queryset, value: str):
        if value == "on":
            return effective_only(queryset).filter(auto_refill_enabled=True)
        return effective_only(queryset).exclude(auto_refill_enabled=True)


def available_below(queryset, threshold: float, *, inclusive: bool = False):
    """Balances whose available credits are below `threshold` (or at it, when inclusive)."""
    below = operator.le if inclusive else operator.lt
    held_low = [pk for pk, document in documents_with_live_holds().items() if below(_available(document), threshold)]
    credits = Q(token_credits__lte=threshold) if inclusive else Q(token_credits__lt=threshold)
    return effective_only(queryset).filter(credits | Q(id__in=held_low))


def _available(document: dict) -> float:
    available = spendable(document).available_credits
    return float("inf") if available is None else available


def effective_only(queryset):
    """Only the balance documents LibreChat uses: a user's duplicate documents never match a filter."""
    duplicates = duplicate_balance_ids()
    return queryset.exclude(id__in=duplicates) if duplicates else queryset


def threshold_problem(text: str) -> str | None:
    """What is wrong with a credit threshold from the URL; None when it is one."""
    try:
        parse_credits(text, maximum_credits=LARGEST_THRESHOLD_CREDITS)
    except ValidationError as exc:
        return exc.messages[0]
    return None


class RoleFilter(CheckedFilter):
    title = "role"
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [("USER", "user"), ("ADMIN", "admin")]

    def filter(self, request, queryset, value: str):
        if issubclass(queryset.model, LibreChatUser):
            return queryset.filter(role=value)
        # Resolve users first: a filter across collections would join every balance.
        user_ids = list(LibreChatUser.objects.filter(role=value).values_list("id", flat=True))
        return queryset.filter(user_id__in=user_ids)


class BalanceDocumentFilter(CheckedFilter):
    title = "balance document"
    parameter_name = "balance"

    def lookups(self, request, model_admin):
        return [("yes", "has one"), ("none", "no balance document")]

    def filter(self, request, queryset, value: str):
        with_balance = list(user_ids_with_balance())
        if value == "none":
            return queryset.exclude(id__in=with_balance)
        return queryset.filter(id__in=with_balance)


class ProviderFilter(ExactValueFilter):
    """LibreChat's sign-in providers; another provider's name typed in the URL still matches exactly."""

    title = "provider"
    parameter_name = "provider__exact"  # the address Django's own field filter used
    field_path = "provider"
    known_values = ["local", "google", "github", "discord", "facebook", "apple", "openid", "saml", "ldap"]


class TokenTypeFilter(CheckedFilter):
    title = "token type"
    parameter_name = "token_type__exact"  # the address Django's own field filter used

    def lookups(self, request, model_admin):
        return Transaction.TokenType.choices

    def filter(self, request, queryset, value: str):
        return queryset.filter(token_type=value)


class ContextFilter(ExactValueFilter):
    """The contexts LibreChat writes; listing the collection's own would read every transaction."""

    title = "context"
    parameter_name = "context__exact"
    field_path = "context"
    known_values = ["message", "incomplete", "title", "admin", "autoRefill"]


class OlderRowsFilter(CheckedFilter):
    """`?before=<_id>`: the rows older than a page, found through the `_id` index however deep."""

    title = "older rows"
    parameter_name = "before"
    template = "admin/balances/older_rows_filter.html"

    def lookups(self, request, model_admin):
        return []

    def has_output(self):
        return True  # also when empty: only listed filters are applied

    def problem_with(self, value: str) -> str | None:
        return None if ObjectId.is_valid(value) else f"{value!r} is not a row id."

    def filter(self, request, queryset, value: str):
        return queryset.filter(id__lt=ObjectId(value))

    def choices(self, changelist):
        yield {"newest_url": changelist.get_query_string(remove=[self.parameter_name])}


def user_column_filter(column: UserColumn, user_id_field: str) -> type[CheckedFilter]:
    """The sidebar filter of a registered user column, on the rows' `user_id_field`."""

    class UserColumnFilter(CheckedFilter):
        title = column.title
        parameter_name = column.name

        def lookups(self, request, model_admin):
            return column.choices()

        def filter(self, request, queryset, value: str):
            users_filter = column.users_filter(value)
            if users_filter is None:  # the choice went away since the page was drawn
                return queryset.none()
            # MongoDB finds the users; only their ids come back, not every user to match here.
            return queryset.filter(**{f"{user_id_field}__in": user_ids_matching(users_filter)})

    return UserColumnFilter
