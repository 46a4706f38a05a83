"""Alerts in the admin: who is below which threshold, what ran when, and any period's report to download."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from alerts import reports
from alerts.models import PolicyThresholds, ScheduledRun, ThresholdState
from analytics.periods import PERIOD_CHOICES, parse_period
from librechat.credits import format_credits
from web.admin_lists import ListTitleMixin, ReadOnlyAdminMixin

DOWNLOADS = {
    "csv": ("text/csv", reports.report_csv),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", reports.report_xlsx),
}


@admin.register(ThresholdState)
class ThresholdStateAdmin(ListTitleMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["email", "threshold", "fired", "fired_at", "available_when_fired", "rearmed_at"]
    list_filter = ["fired", "threshold_credits"]
    search_fields = ["email", "librechat_user_id"]
    ordering = ["-fired_at"]

    @admin.display(description="threshold (credits)", ordering="threshold_credits")
    def threshold(self, state):
        return format_credits(state.threshold_credits)

    @admin.display(description="available when fired", ordering="available_credits_when_fired")
    def available_when_fired(self, state):
        return "-" if state.available_credits_when_fired is None else format_credits(state.available_credits_when_fired)


@admin.register(ScheduledRun)
class ScheduledRunAdmin(ListTitleMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["started_at", "job", "summary", "key"]
    list_filter = ["job"]
    change_list_template = "admin/alerts/scheduledrun/change_list.html"

    def get_urls(self):
        report = self.admin_site.admin_view(self.report_view)
        return [path("report/", report, name="alerts_report"), *super().get_urls()]

    def report_view(self, request):
        """The usage report of any period, as the scheduled mail shows it, or as CSV or XLSX."""
        if not request.user.has_perm("analytics.view_analytics"):
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), "title": "Usage report", "choices": PERIOD_CHOICES}
        try:
            period = parse_period(request.GET.get("period"), request.GET.get("start"), request.GET.get("end"))
        except ValidationError as exc:
            return TemplateResponse(
                request, "admin/alerts/report.html", {**context, "error": exc.messages[0]}, status=400
            )
        report = reports.build_report(period)
        download = DOWNLOADS.get(request.GET.get("format", ""))
        if download:
            content_type, render = download
            response = HttpResponse(render(report), content_type=content_type)
            extension = request.GET["format"]
            response["Content-Disposition"] = f'attachment; filename="librechat-usage-{period.name}.{extension}"'
            return response
        context.update({"period": period, "report": report, "bars": reports.daily_bars(report)})
        return TemplateResponse(request, "admin/alerts/report.html", context)


@admin.register(PolicyThresholds)
class PolicyThresholdsAdmin(ListTitleMixin, admin.ModelAdmin):
    list_display = ["policy", "thresholds", "channels"]
