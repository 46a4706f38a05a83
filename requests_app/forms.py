from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from librechat.credits import format_credits_and_usd, parse_credits
from web.credit_amount import CreditAmountField

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


def granted_credits(text: str) -> int:
    return parse_credits(text, minimum_credits=1)


class CustomAmountForm(forms.Form):
    """The mailed "custom amount" link's page; the amount starts as the one the requester wished."""

    amount = CreditAmountField(label="Credits to grant", parse=granted_credits, help_text=AMOUNT_HELP)


class RejectForm(forms.Form):
    note = forms.CharField(
        label="Reason (optional, sent to the requester)",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AdminApproveForm(forms.Form):
    """Preset or custom amount for the admin's approve action; give `initial={"amount": wished}`."""

    approve_duplicates = forms.BooleanField(
        label="Approve duplicates too",
        required=False,
        help_text="Requests flagged duplicate were sent while another of the same email was pending; "
        "without this they are left pending.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Presets from settings, read per form: tests and a reload may change them.
        presets = [(n, format_credits_and_usd(n)) for n in settings.REQUEST_APPROVE_PRESETS_CREDITS]
        self.fields["amount"] = CreditAmountField(
            label="Amount", presets=presets, parse=granted_credits, help_text=AMOUNT_HELP
        )
        self.order_fields(["amount", "approve_duplicates"])
