"""Changelist filters for LibreChat balances and users."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from balances.credits import format_credits
from balances.models import LibreChatUser
from balances.queries import user_ids_with_balance

LOW_BALANCE_THRESHOLDS = [1_000_000, 2_000_000, 3_000_000, 4_000_000, 5_000_000]


class CreditsFilter(admin.SimpleListFilter):
    title = "credits"
    parameter_name = "credits"

    def lookups(self, request, model_admin):
        below = [(f"below_{n}", f"below {format_credits(n)}") for n in LOW_BALANCE_THRESHOLDS]
        return [("zero", "zero"), *below]

    def queryset(self, request, queryset):
        value = self.value() or ""
        if value == "zero":
            return queryset.filter(token_credits__lte=0)
        if value.startswith("below_") and value.removeprefix("below_").isdigit():
            return queryset.filter(token_credits__lt=int(value.removeprefix("below_")))
        return queryset


class CreditsBelowFilter(admin.SimpleListFilter):
    """A free threshold typed by the admin: `?credits_below=2500000`."""

    title = "credits below (custom)"
    parameter_name = "credits_below"
    template = "admin/balances/input_filter.html"

    def lookups(self, request, model_admin):
        return [("", "")]

    def has_output(self):
        return True

    def choices(self, changelist):
        # The form resubmits the other active filters and the search as hidden inputs.
        kept = [(key, value) for key, value in changelist.params.items() if key != self.parameter_name]
        yield {"query_parts": kept}

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        from balances.ledger import clean_amount

        try:
            threshold = clean_amount(self.value(), "set")
        except ValidationError as exc:
            messages.error(request, f"Credits below: {exc.messages[0]}")
            return queryset
        return queryset.filter(token_credits__lt=threshold)


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
