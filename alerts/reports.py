"""Usage and credit reports for a week, a month or any period, from the analytics rollups.

The numbers come from `analytics.reports` (the same functions as the analytics pages and API), so a
report and the pages agree for the same period. A report is an HTML mail with a small bar chart made
of table cells (no image, no external asset), plus the same tables as CSV and XLSX attachments.
"""

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.template.loader import render_to_string
from openpyxl import Workbook

from analytics import reports as analytics
from analytics.periods import Period
from balances.overview import balance_overview
from outbox.queue import queue_message
from policies.membership import policies_of
from web.spreadsheet import escape_formula

TOP_USERS = 20
CSV_COLUMNS = ["section", "name", "cost_usd", "requests", "total_tokens", "users"]


@dataclass
class Report:
    period: Period
    summary: dict
    models: list[dict]
    agents: list[dict]
    users: list[dict]
    domains: list[dict]
    policies: list[dict]
    users_at_zero: int
    days: list[dict]

    @property
    def title(self) -> str:
        return f"LibreChat usage {self.period.name}"

    def sections(self) -> dict[str, list[dict]]:
        """Every table as uniform rows: section, name, cost, requests, tokens, users."""
        return {
            "model": [_row(row["model"], row) for row in self.models],
            "agent": [_row(row["name"] or row["agentId"], row) for row in self.agents],
            "user": [_row(row["email"] or row["userId"], row, users=None) for row in self.users],
            "domain": [_row(row["domain"], row) for row in self.domains],
            "policy": [_row(row["group"], row) for row in self.policies],
        }


def previous_period(schedule: str, now: datetime) -> Period:
    """The last whole ISO week ("weekly") or calendar month ("monthly") before `now`, in UTC."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if schedule == "weekly":
        end = today - timedelta(days=today.weekday())
        start = end - timedelta(days=7)
        year, week, _ = start.isocalendar()
        return Period(f"{year}-W{week:02d}", start, end, "day")
    end = today.replace(day=1)
    start = (end - timedelta(days=1)).replace(day=1)
    return Period(f"{start:%Y-%m}", start, end, "day")


def build_report(period: Period) -> Report:
    return Report(
        period=period,
        summary=analytics.summary(period),
        models=analytics.top_models(period),
        agents=analytics.top_agents(period),
        users=analytics.top_users(period, TOP_USERS),
        domains=analytics.email_domains(period),
        policies=analytics.grouped_spending(period, policy_names),
        users_at_zero=balance_overview().users_at_zero,
        days=analytics.usage_over_time(period)["points"],
    )


def policy_names(user_ids: list) -> dict:
    """{user id: the name of the credit policy (tier) the user belongs to, or "(no policy)"}."""
    return {user_id: policy.name if policy else "(no policy)" for user_id, policy in policies_of(user_ids).items()}


def report_csv(report: Report) -> bytes:
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(CSV_COLUMNS)
    for section, rows in report.sections().items():
        for row in rows:
            writer.writerow([escape_formula(value) for value in [section, *row.values()]])
    return stream.getvalue().encode()


def report_xlsx(report: Report) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "summary"
    for key in ("totalCost", "requests", "totalTokens", "activeUsers", "conversations", "creditsGranted"):
        sheet.append([key, report.summary.get(key)])
    sheet.append(["usersAtZero", report.users_at_zero])
    sheet.append(["period start", report.period.start.replace(tzinfo=None)])
    sheet.append(["period end", report.period.end.replace(tzinfo=None)])
    for section, rows in report.sections().items():
        table = workbook.create_sheet(section)
        table.append(CSV_COLUMNS[1:])
        for row in rows:
            table.append([escape_formula(value) for value in row.values()])
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def daily_bars(report: Report) -> list[dict]:
    """Each day's cost with its length in percent of the costliest day, for the chart."""
    most = max((point["totalCost"] for point in report.days), default=0) or 1
    return [
        {"day": point["time"][:10], "cost": point["totalCost"], "percent": round(100 * point["totalCost"] / most)}
        for point in report.days
    ]


def report_html(report: Report) -> str:
    return render_to_string("alerts/mail/report.html", {"report": report, "bars": daily_bars(report)})


def queue_report(period: Period) -> int:
    """The report of a period to every REPORT_TO address; returns how many were queued."""
    if not settings.REPORT_TO:
        return 0
    report = build_report(period)
    attachments = [
        (f"librechat-usage-{period.name}.csv", report_csv(report), "text/csv"),
        (
            f"librechat-usage-{period.name}.xlsx",
            report_xlsx(report),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ]
    text = render_to_string("alerts/mail/report.txt", {"report": report})
    for address in settings.REPORT_TO:
        queue_message(
            event="alerts.report",
            recipient=address,
            subject=report.title,
            body_text=text,
            body_html=report_html(report),
            attachments=attachments,
            dedupe_key=f"report:{period.name}:{address}",
        )
    return len(settings.REPORT_TO)


def _row(name: str | None, row: dict, users: object = "") -> dict:
    return {
        "name": name or "",
        "cost_usd": row.get("totalCost", 0),
        "requests": row.get("requests", 0),
        "total_tokens": row.get("totalTokens", 0),
        "users": row.get("users", "") if users == "" else "",
    }
