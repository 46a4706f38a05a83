"""The one amount field of every form that takes credits: preset amounts as radio buttons plus a
typed custom amount. The rule is the same with and without JavaScript (web/credit_amount.js only
keeps the two from disagreeing): a preset with a different typed amount is an error, never a guess.

Posted as `<name>_preset` (a preset's value or "custom") and `<name>` (the typed amount).
"""

from collections.abc import Callable, Sequence

from django import forms
from django.core.exceptions import ValidationError

CUSTOM = "custom"
MIXED_MESSAGE = 'Choose "custom amount" to use the typed amount, or clear it to use the preset.'


class CreditAmountWidget(forms.MultiWidget):
    template_name = "web/widgets/credit_amount.html"

    class Media:
        # Deferred: the page stays usable while the script loads, and the script checks what was typed meanwhile.
        js = [forms.Script("web/credit_amount.js", defer=True)]

    def __init__(self, choices: Sequence[tuple[str, str]] = (), typed_label: str = "Custom credits", attrs=None):
        self.typed_label = typed_label
        typed = forms.TextInput(attrs={"size": 14, "maxlength": 40, "inputmode": "numeric", "autocomplete": "off"})
        super().__init__({"preset": forms.RadioSelect(choices=choices), "": typed}, attrs)

    def preset_values(self) -> list[str]:
        return [value for value, _ in self.widgets[0].choices if value != CUSTOM]

    def id_for_label(self, id_: str) -> str:
        # Without presets the field is its typed amount; with them, the label names the whole group.
        if self.preset_values() or not id_:
            return ""
        return f"{id_}_1"  # MultiWidget numbers its inputs' ids: the typed amount is the second

    def decompress(self, value) -> list[str]:
        """[preset, typed] for an initial amount: its preset when there is one, else typed as custom."""
        presets = self.preset_values()
        if value in (None, ""):
            return [presets[0] if presets else "", ""]
        if str(value) in presets:
            return [str(value), ""]
        typed = f"{value:,}" if isinstance(value, int) else str(value)
        return [CUSTOM if presets else "", typed]

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["has_presets"] = bool(self.preset_values())
        context["widget"]["typed_label"] = self.typed_label
        return context


class CreditAmountHiddenWidget(forms.MultiWidget):
    """The same two values as hidden inputs, for a review page that posts them again."""

    def __init__(self, attrs=None):
        super().__init__({"preset": forms.HiddenInput(), "": forms.HiddenInput()}, attrs)

    def decompress(self, value) -> list[str]:
        return ["", "" if value is None else str(value)]


class CreditAmountField(forms.MultiValueField):
    """Whole credits from a preset or a typed amount, checked by `parse` (which raises ValidationError)."""

    hidden_widget = CreditAmountHiddenWidget

    def __init__(
        self,
        *,
        parse: Callable[[str], int],
        presets: Sequence[tuple[int, str]] = (),
        typed_label: str = "Custom credits",
        **kwargs,
    ):
        choices = [(str(amount), label) for amount, label in presets]
        if choices:
            choices.append((CUSTOM, "custom amount"))
        self.parse = parse
        fields = (forms.ChoiceField(choices=choices, required=False), forms.CharField(max_length=40, required=False))
        widget = CreditAmountWidget(choices, typed_label)
        super().__init__(fields, require_all_fields=False, widget=widget, **kwargs)

    def compress(self, data_list: list[str]) -> int | None:
        if not data_list:
            return None
        preset, typed = data_list[0] or "", (data_list[1] or "").strip()
        if preset in ("", CUSTOM):
            return self.parse(typed)
        preset_credits = self.parse(preset)
        if typed and _parsed_or_none(self.parse, typed) != preset_credits:
            # Without JavaScript a typed amount leaves the preset selected: never guess which one was meant.
            raise ValidationError(MIXED_MESSAGE)
        return preset_credits


def _parsed_or_none(parse: Callable[[str], int], text: str) -> int | None:
    try:
        return parse(text)
    except ValidationError:
        return None
