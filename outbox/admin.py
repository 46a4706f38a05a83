"""The outbox in the admin: what went out, what is waiting, what failed and why; resend."""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods

from outbox.channels import apprise_targets, masked
from outbox.models import Message
from outbox.queue import queue_message, resend
from web.admin_lists import ActionsOnlyAdminMixin, ListTitleMixin


@admin.register(Message)
class MessageAdmin(ListTitleMixin, ActionsOnlyAdminMixin, admin.ModelAdmin):
    # Status early so that it shows on a phone.
    list_display = ["created_at", "status", "recipient", "subject", "event", "channel", "attempts", "sent_at"]
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

    def get_urls(self):
        channels = self.admin_site.admin_view(require_http_methods(["GET", "POST"])(self.channels_view))
        return [path("channels/", channels, name="outbox_message_channels"), *super().get_urls()]

    def channels_view(self, request):
        """Every configured channel (target URLs masked), each with a button that queues a test message."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        channels = [(Message.Channel.EMAIL, address, address) for address in settings.NOTIFY_TO]
        channels += [(Message.Channel.APPRISE, name, masked(url)) for name, url in apprise_targets().items()]
        if request.method == "POST":
            if not self.has_change_permission(request):
                raise PermissionDenied
            chosen = [(channel, name) for channel, name, _ in channels if name == request.POST.get("recipient")]
            if not chosen:
                self.message_user(request, "That channel is not configured.", messages.ERROR)
            else:
                channel, name = chosen[0]
                queue_message(
                    event="outbox.test",
                    recipient=name,
                    channel=channel,
                    subject="Test message from the LibreChat Balance Manager",
                    body_text=f"{request.user.get_username()} sent this test from the admin.",
                )
                self.message_user(request, f"A test message to {name} is queued; its status shows in the outbox.")
            return HttpResponseRedirect(reverse("admin:outbox_message_channels"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Notification channels",
            "opts": self.model._meta,
            "channels": channels,
            "may_send": self.has_change_permission(request),
        }
        return TemplateResponse(request, "admin/outbox/message/channels.html", context)

    @admin.action(description="Resend selected messages", permissions=["change"])
    def resend_messages(self, request, queryset):
        count = resend(queryset)
        self.message_user(
            request, f"{count} message{'s' if count != 1 else ''} queued to send again.", messages.SUCCESS
        )
