"""Changelist filters for LibreChat balances and users."""

import operator

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q

from librechat.credits import LARGEST_THRESHOLD_CREDITS, format_credits, parse_credits
from librechat.models import LibreChatUser
from librechat.queries import documents_with_live_holds, duplicate_balance_ids, user_ids_with_balance
from librechat.reservations import spendable
from web.admin_lists import TypedValueFilter

LOW_BALANCE_THRESHOLDS = [1_000_000, 2_000_000, 3_000_000, 4_000_000, 5_000_000]


class CreditsFilter(admin.SimpleListFilter):
    """On available credits: what LibreChat admits requests against (credits less in-flight holds)."""

    title = "available credits"
    parameter_name = "credits"

    def lookups(self, request, model_admin):
        below = [(f"below_{n}", f"below {format_credits(n)}") for n in LOW_BALANCE_THRESHOLDS]
        return [("zero", "zero"), *below]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value == "zero":
            return available_below(queryset, 0, inclusive=True)
        if not value.startswith("below_"):
            messages.error(request, f"Credits: {value!r} is not one of this filter's choices. No rows are shown.")
            return queryset.none()
        threshold = valid_threshold(request, value.removeprefix("below_"), "Credits")
        return queryset.none() if threshold is None else available_below(queryset, threshold)


class CreditsBelowFilter(TypedValueFilter):
    """A free threshold typed by the admin: `?credits_below=2500000`."""

    title = "available credits below (custom)"
    parameter_name = "credits_below"
    placeholder = "e.g. 2500000"

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        threshold = valid_threshold(request, self.value(), "Credits below")
        # An invalid threshold matches nothing: showing every row would let "select all" reach everyone.
        return queryset.none() if threshold is None else available_below(queryset, threshold)


class AutoRefillFilter(admin.SimpleListFilter):
    """LibreChat treats a missing `autoRefillEnabled` as off, and so does this filter."""

    title = "auto-refill"
    parameter_name = "auto_refill"

    def lookups(self, request, model_admin):
        return [("on", "on"), ("off", "off")]

    def queryset(self, request, queryset):
        if self.value() == "on":
            return effective_only(queryset).filter(auto_refill_enabled=True)
        if self.value() == "off":
            return effective_only(queryset).exclude(auto_refill_enabled=True)
        return queryset


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


def valid_threshold(request, text: str, label: str) -> int | None:
    """A credit threshold from the URL, or None after telling the person what is wrong with it."""
    try:
        return parse_credits(text, maximum_credits=LARGEST_THRESHOLD_CREDITS)
    except ValidationError as exc:
        messages.error(request, f"{label}: {exc.messages[0]} No rows are shown.")
        return None


class RoleFilter(admin.SimpleListFilter):
    title = "role"
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [("USER", "user"), ("ADMIN", "admin")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        if queryset.model is LibreChatUser:
            return queryset.filter(role=self.value())
        # Resolve users first: a filter across collections would join every balance.
        user_ids = list(LibreChatUser.objects.filter(role=self.value()).values_list("id", flat=True))
        return queryset.filter(user_id__in=user_ids)


class BalanceDocumentFilter(admin.SimpleListFilter):
    title = "balance document"
    parameter_name = "balance"

    def lookups(self, request, model_admin):
        return [("yes", "has one"), ("none", "no balance document")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        with_balance = list(user_ids_with_balance())
        if self.value() == "none":
            return queryset.exclude(id__in=with_balance)
        return queryset.filter(id__in=with_balance)
