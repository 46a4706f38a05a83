from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from librechat.credits import format_credits_and_usd, parse_credits

DEFAULT_REFERENCE_LABEL = "Reference"
AMOUNT_HELP = _("Whole credits; 1,000,000 credits = $1.00.")


class CreditRequestForm(forms.Form):
    """The public request form. `website` is a honeypot: hidden from people, filled in by bots."""

    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("The email address you sign in to LibreChat with."),
        widget=forms.EmailInput(),
    )
    reference = forms.CharField(max_length=100, required=False)
    amount_wished = forms.CharField(label=_("Credits wished"), max_length=40, required=False, help_text=AMOUNT_HELP)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("At most 1,000 characters."),
    )
    website = forms.CharField(required=False, label=_("Leave this field empty"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        reference = self.fields["reference"]
        # The default label is translated; an operator's own label is shown as they wrote it.
        custom_label = settings.REQUEST_REFERENCE_LABEL != DEFAULT_REFERENCE_LABEL
        reference.label = settings.REQUEST_REFERENCE_LABEL if custom_label else _("Reference")
        reference.required = settings.REQUEST_REFERENCE_REQUIRED
        self.fields["email"].widget.attrs.update({"autocomplete": "email"})
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean_amount_wished(self) -> int | None:
        value = self.cleaned_data["amount_wished"].strip()
        return parse_credits(value, minimum_credits=1) if value else None

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))


class CustomAmountForm(forms.Form):
    amount = forms.CharField(label="Credits to grant", max_length=40, help_text=AMOUNT_HELP)

    def clean_amount(self) -> int:
        return parse_credits(self.cleaned_data["amount"], minimum_credits=1)


class RejectForm(forms.Form):
    note = forms.CharField(
        label="Reason (optional, sent to the requester)",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AdminApproveForm(forms.Form):
    """Preset or custom amount for the admin's approve action."""

    preset = forms.ChoiceField(label="Amount", widget=forms.RadioSelect)
    amount = forms.CharField(label="Custom credits", max_length=40, required=False, help_text=AMOUNT_HELP)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        presets = [(str(n), format_credits_and_usd(n)) for n in settings.REQUEST_APPROVE_PRESETS_CREDITS]
        self.fields["preset"].choices = [*presets, ("custom", "custom amount")]
        self.fields["preset"].initial = presets[0][0] if presets else "custom"

    def clean(self):
        cleaned = super().clean()
        preset = cleaned.get("preset")
        raw_amount = cleaned.get("amount") if preset == "custom" else preset
        try:
            cleaned["amount_credits"] = parse_credits(raw_amount or "", minimum_credits=1)
        except ValidationError as exc:
            self.add_error("amount", exc)
        return cleaned
