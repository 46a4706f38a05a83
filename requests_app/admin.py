"""The request queue: oldest pending first, decisions through the same functions as the mail links.

A pending request's page and its row in the queue have "Approve" and "Reject" buttons: the bulk
actions' pages for that one request, then back where the operator was.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Case, F, IntegerField, Value, When
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.timezone import localtime
from pymongo.errors import PyMongoError

from ledger.models import ChangeBatch
from librechat.credits import format_credits_and_usd
from librechat.queries import user_ids_by_email
from requests_app import decisions, mail
from requests_app.forms import AdminApproveForm, RejectForm
from requests_app.models import CreditRequest
from tenancy.admin_lists import TenantScopedAdminMixin, scope_of
from tenancy.scope import outside_scope
from web.admin_lists import (
    ActionsOnlyAdminMixin,
    ListTitleMixin,
    RowButtonsChangeList,
    SearchAsYouTypeMixin,
    link_buttons,
    list_url,
    return_url,
)

Status = CreditRequest.Status
DECISIONS = {"approve": "Approve", "reject": "Reject"}


@admin.register(CreditRequest)
class CreditRequestAdmin(
    ListTitleMixin, TenantScopedAdminMixin, SearchAsYouTypeMixin, ActionsOnlyAdminMixin, admin.ModelAdmin
):
    """Staff limited to some tenants see the requests identified as their tenants' users (tenant_id)."""

    # The flags ride under the email so that every column fits a 1400 px screen, and the status
    # comes right after it so that it shows on a phone; the request's page has the rest.
    list_display = [
        "requester", "status", "row_actions", "wished", "granted", "decided_by", "mail_outcome", "crediting",
    ]  # fmt: skip
    list_display_links = ["requester"]
    list_filter = ["status", "email_verified", "is_duplicate", "channel", "crediting"]
    search_fields = ["email", "reference"]
    search_help_text = "Any part of an email or a reference."
    actions = ["approve", "reject", "resend_notification", "retry_crediting"]
    change_form_template = "admin/requests_app/creditrequest/change_form.html"
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
        # Pending first, the longest-waiting at the top; then the decided, the latest first.
        pending_first = Case(When(status=Status.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField())
        waiting_since = Case(When(status=Status.PENDING, then=F("created_at")))
        return [pending_first.asc(), waiting_since.asc(), "-created_at", "-id"]

    def get_changelist(self, request, **kwargs):
        return RowButtonsChangeList

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        return shown if self.has_change_permission(request) else [c for c in shown if c != "row_actions"]

    def get_urls(self):
        view = self.admin_site.admin_view(self.decide_one_view)
        return [
            path("<int:object_id>/decide/<str:decision>/", view, name="requests_app_creditrequest_decide"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        credit_request = self.get_object(request, object_id)
        may_decide = credit_request is not None and self.has_change_permission(request, credit_request)
        buttons = self.decide_buttons(credit_request, return_to=request.get_full_path()) if may_decide else ""
        return super().change_view(request, object_id, form_url, {"decide_buttons": buttons, **(extra_context or {})})

    @admin.display(description="decide")
    def row_actions(self, credit_request):
        # Shown only to those who may decide: get_list_display leaves the column out for the others.
        return self.decide_buttons(credit_request, return_to=getattr(credit_request, "list_path", ""))

    def decide_buttons(self, credit_request, *, return_to: str) -> str:
        """Approve and Reject for a pending request, coming back to `return_to`; nothing for a decided one."""
        if credit_request.status != Status.PENDING:
            return ""
        name = "admin:requests_app_creditrequest_decide"
        links = [(reverse(name, args=[credit_request.pk, decision]), label) for decision, label in DECISIONS.items()]
        return link_buttons(links, return_to)

    def decide_one_view(self, request, object_id, decision):
        """A request's "Approve" or "Reject": the bulk action's page for that one request, then back."""
        if decision not in DECISIONS:
            raise Http404
        credit_request = self.get_object(request, str(object_id))
        if credit_request is None:
            raise Http404
        if not self.has_change_permission(request, credit_request):
            raise PermissionDenied
        queryset = self.get_queryset(request).filter(pk=credit_request.pk)
        response = getattr(self, decision)(request, queryset)
        return response or HttpResponseRedirect(return_url(request) or list_url(self, request))

    @admin.display(description="request", ordering="created_at")
    def requester(self, credit_request):
        created_at = date_format(localtime(credit_request.created_at), "DATETIME_FORMAT")
        flags = [created_at, "email verified" if credit_request.email_verified else "email not verified"]
        if credit_request.is_duplicate:
            flags.append("duplicate")
        if not credit_request.librechat_user_id:
            flags.append("unknown email")
        if credit_request.reference:
            flags.append(f"ref. {credit_request.reference}")
        return format_html("{}<br><small>{}</small>", credit_request.email, ", ".join(flags))

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
            "action": request.POST.get("action", ""),
            "select_across": request.POST.get("select_across", "0"),
            "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
            "cancel_url": return_url(request) or list_url(self, request),
        }
        return TemplateResponse(request, "admin/requests_app/creditrequest/decide.html", context)
