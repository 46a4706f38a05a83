"""The analytics pages' tables: the same rows shown as HTML and exported as CSV."""

import csv
from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpResponse
from django.urls import reverse

from librechat.credits import format_credits, format_dollars
from web.spreadsheet import escape_formula


def _usd(value: float) -> str:
    # Costs of a few hundredths of a cent are common per model and hour: "< $0.01", never $0.00.
    return format_dollars(value)


def _count(value: int | float | None) -> str:
    return "" if value is None else format_credits(value)


def _days(value: float | None) -> str:
    return "never at this pace" if value is None else f"{value:,.1f}"


def _text(value: object) -> str:
    return "" if value is None else str(value)


@dataclass
class Column:
    title: str
    key: str
    shown: Callable[[object], str] = _text
    numeric: bool = False
    link: Callable[[dict], str | None] | None = None
    # Exported, but left off the page so that its table fits a screen without scrolling.
    csv_only: bool = False


@dataclass
class Cell:
    text: str
    url: str | None = None
    numeric: bool = False


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: list[dict] = field(default_factory=list)

    @property
    def page_columns(self) -> list[Column]:
        return [column for column in self.columns if not column.csv_only]

    def html_rows(self) -> list[list[Cell]]:
        return [
            [
                Cell(column.shown(row.get(column.key)), column.link(row) if column.link else None, column.numeric)
                for column in self.page_columns
            ]
            for row in self.rows
        ]

    def csv_response(self, filename_stem: str) -> HttpResponse:
        """Raw values, text cells escaped so that a spreadsheet never runs a name as a formula."""
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename_stem}-{self.name}.csv"'
        writer = csv.writer(response)
        writer.writerow([column.title for column in self.columns])
        for row in self.rows:
            writer.writerow([escape_formula(row.get(column.key)) for column in self.columns])
        return response


def usd_column(title: str, key: str) -> Column:
    return Column(title, key, _usd, numeric=True)


def count_column(title: str, key: str, *, csv_only: bool = False) -> Column:
    return Column(title, key, _count, numeric=True, csv_only=csv_only)


def _user_url(row: dict) -> str | None:
    if not row.get("email"):
        return None  # a deleted user (or a malformed id): there is no page to link to
    return reverse("admin:balances_librechatuser_change", args=[row["userId"]])


MEASURES = [
    usd_column("cost (USD)", "totalCost"),
    count_column("prompt tokens", "promptTokens"),
    count_column("completion tokens", "completionTokens"),
    count_column("cache read tokens", "cacheReadTokens", csv_only=True),
    count_column("cache write tokens", "cacheWriteTokens", csv_only=True),
    count_column("requests", "requests"),
]


def summary_table(summary: dict) -> Table:
    labels = [
        ("Cost (USD)", "totalCost", _usd),
        ("Prompt cost (USD)", "promptCost", _usd),
        ("Completion cost (USD)", "completionCost", _usd),
        ("Prompt tokens", "promptTokens", _count),
        ("Completion tokens", "completionTokens", _count),
        ("Cache read tokens", "cacheReadTokens", _count),
        ("Cache write tokens", "cacheWriteTokens", _count),
        ("Active users", "activeUsers", _count),
        ("Conversations started", "conversations", _count),
        ("Requests", "requests", _count),
        ("Credits granted (not spend)", "creditsGranted", _count),
        ("Grants", "grants", _count),
        ("Transactions skipped: amount not a number", "invalidTransactions", _count),
    ]
    rows = [{"metric": label, "value": summary[key], "shown": shown(summary[key])} for label, key, shown in labels]
    return Table("summary", "Summary", [Column("metric", "metric"), Column("value", "value", numeric=True)], rows)


def summary_cells(table: Table) -> list[dict]:
    return [{"label": row["metric"], "value": row["shown"]} for row in table.rows]


def timeseries_table(points: list[dict], bucket: str) -> Table:
    requests, active_users = MEASURES[5], count_column("active users", "activeUsers")
    # ISO times in the CSV; on the page "2026-11-23" per day or "2026-11-23 21:00" per hour.
    shown_time = (lambda iso: iso[:16].replace("T", " ")) if bucket == "hour" else (lambda iso: iso[:10])
    columns = [Column(f"{bucket} (UTC)", "time", shown_time), *MEASURES[:3], requests, active_users]
    return Table("timeseries", f"Per {bucket}", columns, points)


def users_table(rows: list[dict]) -> Table:
    # The tenant only in installs with tenants: a column no row fills would only take room.
    tenant = [Column("tenant", "tenant")] if any(row.get("tenant") for row in rows) else []
    columns = [
        Column("email", "email", link=_user_url),
        *tenant,
        MEASURES[0],
        count_column("balance (credits)", "balance"),
        Column("days until empty", "daysLeft", _days, numeric=True),
        Column("name", "name"),
        Column("user id", "userId", csv_only=True),
        *MEASURES[1:],
        count_column("conversations", "conversations"),
    ]
    return Table("users", "Top users by cost", columns, rows)


def models_table(rows: list[dict]) -> Table:
    columns = [
        Column("model", "model"),
        *MEASURES[:1],
        usd_column("prompt cost (USD)", "promptCost"),
        usd_column("completion cost (USD)", "completionCost"),
        *MEASURES[1:],
        count_column("users", "users"),
    ]
    return Table("models", "Models", columns, rows)


def agents_table(rows: list[dict]) -> Table:
    columns = [
        Column("agent", "name"),
        Column("agent id", "agentId", csv_only=True),
        MEASURES[0],
        Column("underlying model", "model"),
        count_column("users", "users"),
        count_column("requests", "requests"),
        *MEASURES[1:3],
    ]
    return Table("agents", "Agents", columns, rows)
