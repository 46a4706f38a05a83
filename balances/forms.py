from functools import partial

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator

from balances.models import Balance
from ledger.changes import Kind, LedgerError, check_chosen_batch_id, clean_amount
from ledger.models import RefillChange
from librechat.credits import format_credits_and_usd
from web.credit_amount import CreditAmountField


class CreditChangeForm(forms.Form):
    """Amount and reason for a top-up or a set, with the confirmation a large batch requires."""

    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))
    # Fixed when the form is first shown, so a double submit or a retry applies once.
    batch_id = forms.CharField(widget=forms.HiddenInput)
    # Text, not a number field: letters typed here must fail on the review page, not the whole form.
    confirm_count = forms.CharField(
        label="Type the number of users to confirm", required=False, widget=forms.TextInput(attrs={"size": 8})
    )

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        top_up = kind == Kind.ADD
        self.fields["amount"] = CreditAmountField(
            label="Amount" if top_up else "New balance (credits)",
            presets=[(n, format_credits_and_usd(n)) for n in settings.TOPUP_PRESETS_CREDITS] if top_up else [],
            parse=partial(clean_amount, kind=kind),
            help_text="Whole credits; 1,000,000 = $1.00.",
        )

    def clean(self):
        cleaned = super().clean()
        try:
            # The field is hidden: an error of the form, so that it shows.
            check_chosen_batch_id(cleaned.get("batch_id", ""))
        except LedgerError as exc:
            self.add_error(None, str(exc))
        return cleaned


class RefillForm(forms.ModelForm):
    """LibreChat's per-user auto-refill settings, checked the way LibreChat will use them."""

    # LibreChat reads a missing `autoRefillEnabled` as off, as the balances list does: no "Unknown".
    auto_refill_enabled = forms.BooleanField(label="auto-refill", required=False)

    class Meta:
        model = Balance
        fields = ["auto_refill_enabled", "refill_interval_value", "refill_interval_unit", "refill_amount"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A view-only admin gets the form without its fields (Django shows them read-only).
        if interval := self.fields.get("refill_interval_value"):
            interval.min_value = 1
            interval.validators.append(MinValueValidator(1))
        if amount := self.fields.get("refill_amount"):
            amount.validators.append(MaxValueValidator(settings.MAX_CREDIT_AMOUNT))
            amount.help_text = f"Credits added each time, at most {settings.MAX_CREDIT_AMOUNT:,}."

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("auto_refill_enabled"):
            for name in ("refill_interval_value", "refill_interval_unit", "refill_amount"):
                if cleaned.get(name) in (None, "") and name not in self.errors:
                    self.add_error(name, "Required while auto-refill is on: LibreChat cannot refill without it.")
        return cleaned

    def record_changes(self, actor: str) -> None:
        """One history row per refill field this form changed (LibreChat keeps no history of them)."""
        balance = self.instance
        RefillChange.objects.bulk_create(
            RefillChange(
                librechat_user_id=str(balance.user_id or ""),
                email=(balance.known_user.email if balance.known_user else "") or "",
                actor=actor,
                field_name=Balance._meta.get_field(name).db_column,
                before_value=_as_text(self.initial.get(name)),
                after_value=_as_text(self.cleaned_data.get(name)),
                tenant_id=balance.tenant_id or "",
            )
            for name in self.changed_data
            if name in self.Meta.fields
        )


def _as_text(value: object) -> str:
    return "" if value is None else str(value)
