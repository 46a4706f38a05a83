"""CSV export of an audit list exactly as filtered on screen, streamed and formula-escaped."""

from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone

from ledger.history import csv_lines
from web.spreadsheet import escape_formula


class CsvExportMixin:
    """Adds `<list>/export.csv`; subclasses name the columns and turn one object into a row."""

    export_columns: list[str] = []

    def export_row(self, obj) -> dict:
        raise NotImplementedError

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_export"
        export = path("export.csv", self.admin_site.admin_view(self.export_view), name=name)
        return [export, *super().get_urls()]

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist"))
        objects = changelist.get_queryset(request).iterator(chunk_size=2000)
        rows = ({key: escape_formula(value) for key, value in self.export_row(obj).items()} for obj in objects)
        response = StreamingHttpResponse(csv_lines(rows, self.export_columns), content_type="text/csv")
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="{self.opts.model_name}-{stamp}.csv"'
        return response

    def changelist_view(self, request, extra_context=None):
        name = f"admin:{self.opts.app_label}_{self.opts.model_name}_export"
        export_url = reverse(name) + (f"?{request.GET.urlencode()}" if request.GET else "")
        return super().changelist_view(request, {"export_url": export_url, **(extra_context or {})})
