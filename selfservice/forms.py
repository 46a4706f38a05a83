from django import forms
from django.utils.translation import gettext_lazy as _

from requests_app.forms import CreditRequestForm


class SignInForm(forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("The email address you sign in to LibreChat with."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class VerifiedRequestForm(CreditRequestForm):
    """The public request form without the email (the session proved it) and without the honeypot."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["email"], self.fields["website"]
