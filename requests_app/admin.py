"""The request queue: pending first, decisions through the same functions as the mail links."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Case, IntegerField, Value, When
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from pymongo.errors import PyMongoError

from ledger.models import ChangeBatch
from librechat.credits import format_credits_and_usd
from librechat.queries import user_ids_by_email
from requests_app import decisions, mail
from requests_app.forms import AdminApproveForm, RejectForm
from requests_app.models import CreditRequest
from tenancy.admin_lists import TenantScopedAdminMixin, scope_of
from tenancy.scope import outside_scope
from web.admin_lists import ActionsOnlyAdminMixin

Status = CreditRequest.Status


@admin.register(CreditRequest)
class CreditRequestAdmin(TenantScopedAdminMixin, ActionsOnlyAdminMixin, admin.ModelAdmin):
    """Staff limited to some tenants see the requests identified as their tenants' users (tenant_id)."""

    list_display = [
        "created_at", "email", "email_verified", "user_link", "reference", "wished", "status", "is_duplicate",
        "granted", "decided_by", "mail_outcome", "crediting",
    ]  # fmt: skip
    list_display_links = ["created_at", "email"]
    list_filter = ["status", "email_verified", "is_duplicate", "channel", "crediting"]
    search_fields = ["email", "reference"]
    search_help_text = "Any part of an email or a reference."
    actions = ["approve", "reject", "resend_notification", "retry_crediting"]
    fieldsets = [
        ("Request", {"fields": ["email", "user_link", "reference", "wished", "reason", "client_ip", "created_at"]}),
        ("Flags", {"fields": ["email_verified", "is_duplicate", "language"]}),
        ("Decision", {"fields": ["status", "granted", "decided_by", "decided_at", "channel", "decision_note"]}),
        ("Crediting", {"fields": ["crediting", "crediting_started_at", "crediting_error", "audit_link"]}),
        ("Mail", {"fields": ["notified_at", "notify_error", "requester_notified_at", "requester_notify_error"]}),
    ]  # fmt: skip

    def get_readonly_fields(self, request, obj=None):
        return [field for fieldset in self.fieldsets for field in fieldset[1]["fields"]]

    def get_ordering(self, request):
        pending_first = Case(When(status=Status.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField())
        return [pending_first.asc(), "-created_at", "-id"]

    @admin.display(description="LibreChat user")
    def user_link(self, credit_request):
        if not credit_request.librechat_user_id:
            return "unknown email"
        url = reverse("admin:balances_librechatuser_change", args=[credit_request.librechat_user_id])
        return format_html('<a href="{}">balance and history</a>', url)

    @admin.display(description="wished")
    def wished(self, credit_request):
        return credit_request.wished

    @admin.display(description="granted", ordering="amount_granted_credits")
    def granted(self, credit_request):
        if credit_request.amount_granted_credits is None:
            return "-"
        return format_credits_and_usd(credit_request.amount_granted_credits)

    @admin.display(description="admin mail")
    def mail_outcome(self, credit_request):
        if credit_request.notify_error:
            return format_html('<span class="errornote">failed: {}</span>', credit_request.notify_error)
        if credit_request.notified_at:
            return "sent"
        return "-" if credit_request.is_duplicate or not credit_request.librechat_user_id else "queued"

    @admin.display(description="audit rows")
    def audit_link(self, credit_request):
        batch = (
            ChangeBatch.objects.filter(batch_id=credit_request.batch_id).first() if credit_request.batch_id else None
        )
        if batch is None:
            return "-"
        url = reverse("admin:audit_balancechange_changelist") + f"?batch__id__exact={batch.pk}"
        return format_html('<a href="{}">{}</a>', url, batch.batch_id)

    @admin.action(description="Approve selected requests…", permissions=["change"])
    def approve(self, request, queryset):
        # Preselect what the requesters asked for when they agree on it.
        wished = set(queryset.filter(status=Status.PENDING).values_list("amount_wished_credits", flat=True))
        initial = {"amount": wished.pop()} if len(wished) == 1 else {}
        form = AdminApproveForm(request.POST if "step" in request.POST else None, initial=initial)
        if not form.is_bound or not form.is_valid():
            return self._decision_page(request, queryset, form, "Approve credit requests")
        amount, allow_duplicate = form.cleaned_data["amount"], form.cleaned_data["approve_duplicates"]
        for credit_request in queryset:
            self._decide(
                request, credit_request, decisions.approve, amount_credits=amount, allow_duplicate=allow_duplicate
            )

    @admin.action(description="Reject selected requests…", permissions=["change"])
    def reject(self, request, queryset):
        form = RejectForm(request.POST if "step" in request.POST else None)
        if not form.is_bound or not form.is_valid():
            return self._decision_page(request, queryset, form, "Reject credit requests")
        for credit_request in queryset:
            self._decide(request, credit_request, decisions.reject, note=form.cleaned_data["note"])

    @admin.action(description="Resend the admin notification", permissions=["change"])
    def resend_notification(self, request, queryset):
        mailable = queryset.filter(status=Status.PENDING).exclude(librechat_user_id="")
        if skipped := queryset.count() - mailable.count():
            self.message_user(request, f"{skipped} decided or unknown-email requests were not mailed.", messages.INFO)
        for credit_request in mailable:
            try:
                count = mail.notify_admins(credit_request, again=True)
            except mail.LibreChatUnavailable:
                count = 0
            if count:
                self.message_user(request, f"Request {credit_request.pk}: notification queued.", messages.SUCCESS)
            else:
                self.message_user(
                    request, f"Request {credit_request.pk}: {credit_request.notify_error}", messages.ERROR
                )

    @admin.action(description="Retry crediting approved requests", permissions=["change"])
    def retry_crediting(self, request, queryset):
        for credit_request in queryset:
            try:
                decisions.retry_crediting(credit_request)
            except decisions.DecisionRefused as exc:
                self.message_user(request, str(exc), messages.WARNING)
                continue
            self._report_crediting(request, credit_request)

    def _decide(self, request, credit_request, decide, **fields) -> None:
        if decide == decisions.approve and not self._approvable_in_scope(request, credit_request):
            message = f"Request {credit_request.pk} ({credit_request.email}): not in your tenants; nothing was changed."
            self.message_user(request, message, messages.WARNING)
            return
        try:
            decide(
                credit_request, decided_by=request.user.get_username(), channel=CreditRequest.Channel.ADMIN, **fields
            )
        except decisions.DecisionRefused as exc:
            self.message_user(request, f"Request {credit_request.pk} ({credit_request.email}): {exc}", messages.WARNING)
            return
        if credit_request.status == Status.REJECTED:
            self.message_user(
                request, f"Request {credit_request.pk} ({credit_request.email}) rejected.", messages.SUCCESS
            )
        else:
            self._report_crediting(request, credit_request)

    def _approvable_in_scope(self, request, credit_request) -> bool:
        """Approval credits whoever has the email now: a limited account may not reach another tenant's user."""
        scope = scope_of(request)
        if scope is None:
            return True
        try:
            holders = user_ids_by_email([credit_request.email]).get(credit_request.email.lower(), [])
            return not outside_scope(holders, scope)
        except PyMongoError:
            return False  # cannot tell: refused, and approving again later works

    def _report_crediting(self, request, credit_request) -> None:
        label = f"Request {credit_request.pk} ({credit_request.email})"
        if credit_request.crediting == CreditRequest.Crediting.CREDITED:
            amount = format_credits_and_usd(credit_request.amount_granted_credits, " credits")
            self.message_user(request, f"{label}: approved, {amount} added.", messages.SUCCESS)
        else:
            self.message_user(
                request,
                f"{label}: approved but not credited: {credit_request.crediting_error} Use “Retry crediting”.",
                messages.ERROR,
            )

    def _decision_page(self, request, queryset, form, title):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "form": form,
            "requests": queryset,
            "action": request.POST.get("action"),
            "select_across": request.POST.get("select_across", "0"),
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        }
        return TemplateResponse(request, "admin/requests_app/creditrequest/decide.html", context)
