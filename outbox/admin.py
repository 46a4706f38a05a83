"""The outbox in the admin: what went out, what is waiting, what failed and why; resend."""

from django.contrib import admin, messages

from outbox.models import Message
from outbox.queue import resend


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["created_at", "event", "channel", "recipient", "subject", "status", "attempts", "sent_at"]
    list_filter = ["status", "event", "channel"]
    search_fields = ["recipient", "subject", "reference"]
    search_help_text = "Any part of a recipient, subject or reference."
    actions = ["resend_messages"]
    # No bodies: an admin mail holds signed approve links that anyone who may view this list could use.
    fields = [
        "event", "channel", "recipient", "subject", "reference", "status", "attempts", "last_error",
        "next_attempt_at", "created_at", "sent_at",
    ]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="Resend selected messages", permissions=["change"])
    def resend_messages(self, request, queryset):
        count = resend(queryset)
        self.message_user(
            request, f"{count} message{'s' if count != 1 else ''} queued to send again.", messages.SUCCESS
        )
