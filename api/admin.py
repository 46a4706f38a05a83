from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from api.models import ApiKey, Scope
from tenancy.scope import parse_tenants
from web.admin_lists import ListTitleMixin


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiKey
        fields = ["name", "scopes", "tenants", "expires_at"]

    def clean_scopes(self) -> str:
        return ",".join(sorted(self.cleaned_data["scopes"]))

    def clean_tenants(self) -> str:
        return ",".join(sorted(parse_tenants(self.cleaned_data["tenants"]) or ()))


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", "active"), ("expired", "expired"), ("revoked", "revoked")]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "revoked":
            return queryset.exclude(revoked_at=None)
        if self.value() == "expired":
            return queryset.filter(revoked_at=None, expires_at__lte=now)
        if self.value() == "active":
            return queryset.filter(revoked_at=None).exclude(expires_at__lte=now)
        return queryset


@admin.register(ApiKey)
class ApiKeyAdmin(ListTitleMixin, admin.ModelAdmin):
    """Keys are created here (the secret is shown once) and revoked, never edited or deleted.

    Deleting would free the name for a new key, and the audit history names keys by name.
    """

    form = ApiKeyForm
    # Status early so that it shows on a phone.
    list_display = [
        "name", "status", "prefix", "scopes", "tenants", "expires_at", "last_used_at", "created_at", "created_by",
    ]  # fmt: skip
    list_filter = [StatusFilter]
    search_fields = ["name", "prefix"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "name",
            "prefix",
            "scopes",
            "tenants",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "created_at",
            "created_by",
        ]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj) or ["name", "scopes", "tenants", "expires_at"]

    def has_change_permission(self, request, obj=None):
        # A saved key's page is read-only; the list keeps the change permission for "revoke".
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        raw_key = obj.issue(created_by=request.user.get_username())
        self.message_user(
            request,
            f"The API key for {obj.name!r} is {raw_key} — copy it now: it is not stored and cannot be shown again.",
            messages.WARNING,
        )

    @admin.display(description="status")
    def status(self, key: ApiKey) -> str:
        return key.status

    @admin.action(description="Revoke selected API keys", permissions=["change"])
    def revoke(self, request, queryset):
        revoked = queryset.filter(revoked_at=None).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {revoked} API key(s); they stop working at once.", messages.SUCCESS)
