"""CSV top-ups in the admin: upload, a preview read in the worker for large files, confirm, one batch.

Small files (under BACKGROUND_BATCH_MIN_USERS lines) are read and applied in the request; larger
ones in the worker, with a page that shows the progress and reloads itself. Not django-import-export's
ImportMixin: its dry run works a row at a time inside the request (10,000 rows took over 60 s), and
its preview lists every row.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse

from audit.models import ImportRow
from balances.admin_actions import report_outcome
from balances.credit_import import apply_import, count_lines, preview_import
from balances.tasks import apply_import_in_background, preview_import_in_background
from ledger.changes import Kind, LedgerError, run_batch
from ledger.models import ChangeBatch, ImportFile
from librechat.credits import format_credits, format_credits_and_usd
from librechat.mongo import mongo_unreachable_reason
from web.admin_lists import ListTitleMixin, ReadOnlyAdminMixin

IMPORT_REVIEW_SALT = "audit.admin.import_review"
IMPORT_MODES = [(Kind.ADD, "add each amount to the balance"), (Kind.SET, "set each balance to the amount")]
MAX_IMPORT_BYTES = 20 * 1024 * 1024
SAMPLE_CSV = 'email,amount,reason\nalice@example.com,5000000,conference credit\nbob@example.com,"1,000,000",\n'


class CreditImportForm(forms.Form):
    import_file = forms.FileField(label="CSV file", help_text="UTF-8 text with a header line.")
    mode = forms.ChoiceField(choices=IMPORT_MODES, initial=Kind.ADD, widget=forms.RadioSelect)

    def __init__(self, *args, may_set: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_set:
            # Setting the balances of any list of users is the same power as "set all matching".
            self.fields["mode"].choices = IMPORT_MODES[:1]
            self.fields["mode"].help_text = "Only superusers may import files that set balances."

    def clean_import_file(self) -> tuple[str, str]:
        """(file name, text)."""
        upload = self.cleaned_data["import_file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(f"The file is over {MAX_IMPORT_BYTES // 1024 // 1024} MB: split it.")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError("The file is not UTF-8 text: save it as CSV UTF-8.") from exc
        if "\x00" in text:
            # Not text at all; PostgreSQL would refuse to store it, too.
            raise forms.ValidationError("The file contains NUL bytes: it is not a CSV text file.")
        return upload.name[:255], text


@admin.register(ImportRow)
class ImportRowAdmin(ListTitleMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """CSV top-ups: preview the file, then apply it as one audited batch. The list keeps every applied row."""

    change_list_template = "admin/audit/importrow/change_list.html"
    list_display = ["created_at", "email", "amount", "reason", "batch_id"]
    search_fields = ["email", "batch_id"]

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("import/", view(self.upload_view), name="audit_importrow_import"),
            path("import/sample.csv", view(self.sample_view), name="audit_importrow_sample"),
            path("import/<int:upload_pk>/", view(self.preview_view), name="audit_importrow_preview"),
            *super().get_urls(),
        ]

    @admin.display(description="amount")
    def amount(self, row):
        return format_credits(row.amount_credits)

    def upload_view(self, request):
        if not request.user.has_perm("audit.add_importrow"):
            raise PermissionDenied
        if unavailable := mongo_unavailable_response(request):
            return unavailable
        form = CreditImportForm(request.POST or None, request.FILES or None, may_set=request.user.is_superuser)
        if request.method == "POST" and form.is_valid():
            file_name, text = form.cleaned_data["import_file"]
            upload = ImportFile.objects.create(
                file_name=file_name,
                text=text,
                mode=form.cleaned_data["mode"],
                actor=request.user.get_username(),
                lines_total=count_lines(text),
            )
            if upload.lines_total >= settings.BACKGROUND_BATCH_MIN_USERS:
                preview_import_in_background.enqueue(upload.pk)
            else:
                preview_import(upload)
            return HttpResponseRedirect(reverse("admin:audit_importrow_preview", args=[upload.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import top-ups (CSV)",
            "form": form,
        }
        return TemplateResponse(request, "admin/audit/importrow/import.html", context)

    def sample_view(self, request):
        if not request.user.has_perm("audit.add_importrow"):
            raise PermissionDenied
        response = HttpResponse(SAMPLE_CSV, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="top-ups-sample.csv"'
        return response

    def preview_view(self, request, upload_pk: int):
        if not request.user.has_perm("audit.add_importrow"):
            raise PermissionDenied
        # A preview shows balances: only its uploader sees and confirms it.
        upload = get_object_or_404(ImportFile, pk=upload_pk, actor=request.user.get_username())
        if request.method == "POST":
            return self.confirm(request, upload)
        if upload.status == ImportFile.Status.APPLIED:
            batch = ChangeBatch.objects.filter(batch_id=upload.batch_id).first()
            if batch is None:
                raise Http404("The batch of this file is gone.")
            return HttpResponseRedirect(reverse("admin:audit_changebatch_change", args=[batch.pk]))
        preview = upload.preview
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Import top-ups: {upload.file_name}",
            "upload": upload,
            "preview": preview,
            "mode": Kind(upload.mode).label,
            "refresh_seconds": 2 if upload.is_busy else None,
            "total_change": format_credits_and_usd(preview.get("change_credits", 0), " credits"),
            "applied_change": format_credits_and_usd(preview.get("applied_credits", 0), " credits"),
            "still_to_change": preview.get("row_count", 0) - preview.get("applied_count", 0),
            "reviewed": signing.dumps(review_of(upload), salt=IMPORT_REVIEW_SALT),
        }
        return TemplateResponse(request, "admin/audit/importrow/preview.html", context)

    def confirm(self, request, upload: ImportFile):
        here = HttpResponseRedirect(reverse("admin:audit_importrow_preview", args=[upload.pk]))
        if unavailable := mongo_unavailable_response(request):
            return unavailable
        if upload.mode == Kind.SET and not request.user.is_superuser:
            raise PermissionDenied
        if not reviewed_matches(request.POST, upload):
            self.message_user(request, "The import differs from the preview: upload the file again.", messages.ERROR)
            return HttpResponseRedirect(reverse("admin:audit_importrow_import"))
        # One confirm wins: a second submit finds the file no longer ready.
        if not ImportFile.objects.filter(pk=upload.pk, status=ImportFile.Status.READY).update(
            status=ImportFile.Status.APPLYING
        ):
            self.message_user(request, "This file was already confirmed; nothing was applied again.", messages.INFO)
            return here
        if upload.lines_total >= settings.BACKGROUND_BATCH_MIN_USERS:
            apply_import_in_background.enqueue(upload.pk)
            return here
        try:
            batch = apply_import(upload)
        except LedgerError as exc:
            ImportFile.objects.filter(pk=upload.pk).update(status=ImportFile.Status.READY)
            self.message_user(request, str(exc), messages.ERROR)
            return here
        outcome = run_batch(batch, retry_failed=True)
        report_outcome(self, request, outcome)
        return HttpResponseRedirect(reverse("admin:audit_changebatch_change", args=[batch.pk]))


def review_of(upload: ImportFile) -> dict:
    """What the confirm step must match: this upload, its mode and the batch its rows make."""
    return {"upload": upload.pk, "mode": upload.mode, "batch_id": upload.batch_id}


def reviewed_matches(posted, upload: ImportFile) -> bool:
    """Whether the confirm posts the mode the preview showed, signed for this upload as previewed."""
    try:
        reviewed = signing.loads(posted.get("reviewed", ""), salt=IMPORT_REVIEW_SALT)
    except signing.BadSignature:
        return False
    return reviewed == review_of(upload) and posted.get("mode") == upload.mode


def mongo_unavailable_response(request) -> TemplateResponse | None:
    """The one-line "MongoDB unreachable" page, instead of a traceback."""
    reason = mongo_unreachable_reason()
    if reason is None:
        return None
    context = {**admin.site.each_context(request), "reason": reason, "title": "LibreChat database unavailable"}
    return TemplateResponse(request, "mongo_unavailable.html", context, status=503)
