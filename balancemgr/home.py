"""The admin's home page: what needs someone today, what runs next, the last week, the sections.

Each figure is a count on an indexed field (or the cached balance overview) and links to the list
that shows exactly those rows; it is shown only to those who may open that list.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince
from pymongo.errors import PyMongoError

from alerts.schedule import upcoming_jobs
from analytics.models import RollupState
from analytics.periods import Period
from analytics.reports import daily_cost_and_grants
from balancemgr.health import worker_health
from balances.overview import BalanceOverview, balance_overview
from ledger.models import ChangeBatch
from librechat.credits import format_credits
from librechat.mongo import describe_mongo_error
from policies.schedule import policy_zone, upcoming_runs
from requests_app.queue import pending_requests

CHART_DAYS = 7
UPCOMING_POLICY_RUNS = 5


@dataclass
class Figure:
    """One line of the home page: a count (or a time) and the list it links to."""

    label: str
    count: int | None = None
    url: str = ""
    note: str = ""
    needs_attention: bool = False


@dataclass
class Home:
    today: list[Figure] = field(default_factory=list)
    upcoming: list[Figure] = field(default_factory=list)
    worker: Figure | None = None
    week: list[dict] | None = None
    week_covered_until: datetime | None = None
    overview: BalanceOverview | None = None
    # Why the figures from LibreChat's MongoDB are missing: the rest still shows while it is away.
    mongo_problem: str = ""


def home(user, now: datetime | None = None) -> Home:
    """The home page's figures that `user` may see."""
    now = now or timezone.now()
    # The worker's heartbeat is shown to all staff: it links nowhere, and explains a queue that stalls.
    found = Home(upcoming=upcoming_figures(user, now), worker=worker_figure(now))
    if user.has_perm("balances.view_balance"):
        try:
            found.overview = balance_overview()
        except PyMongoError as exc:
            found.mongo_problem = describe_mongo_error(exc)
    found.today = today_figures(user, now, found.overview)
    if user.has_perm("analytics.view_analytics"):
        found.week = daily_cost_and_grants(last_days(now, CHART_DAYS))
        found.week_covered_until = RollupState.load().covered_until
    return found


def today_figures(user, now: datetime, overview: BalanceOverview | None) -> list[Figure]:
    figures = []
    if user.has_perm("requests_app.view_creditrequest"):
        pending = pending_requests()
        url = reverse("admin:requests_app_creditrequest_changelist") + "?status__exact=pending"
        note = f"the oldest has waited {timesince(pending.oldest_at, now)}" if pending.oldest_at else ""
        figures.append(Figure("Credit requests waiting", pending.count, url, note, pending.count > 0))
    if overview is not None:
        url = reverse("admin:balances_balance_changelist")
        low, zero = overview.low_balance_credits, overview.users_at_zero
        figures += [
            Figure("Users at zero", zero, f"{url}?credits=zero", needs_attention=zero > 0),
            Figure(f"Users below {format_credits(low)} credits", overview.users_low, f"{url}?credits=below_{low}"),
        ]
    if user.has_perm("audit.view_changebatch"):
        url = reverse("admin:audit_changebatch_changelist")
        stopped, failed = ChangeBatch.objects.stopped(now).count(), ChangeBatch.objects.with_failed_rows().count()
        figures += [
            Figure("Batches running", ChangeBatch.objects.running(now).count(), f"{url}?state=running"),
            Figure("Batches stopped before the end", stopped, f"{url}?state=stopped", needs_attention=stopped > 0),
            Figure("Batches with failed rows", failed, f"{url}?state=failed", needs_attention=failed > 0),
        ]
    return figures


def worker_figure(now: datetime) -> Figure:
    """When the worker last ran its heartbeat, as /health tells it."""
    health = worker_health()
    if health["status"] == "unknown":
        return Figure("Worker", note="no heartbeat yet: is the worker running?", needs_attention=True)
    since = timesince(datetime.fromisoformat(health["last_seen"]), now)
    if health["status"] == "silent":
        return Figure("Worker", note=f"silent for {since}: imports, large batches and mail wait", needs_attention=True)
    return Figure("Worker", note=f"running: last heartbeat {since} ago")


def upcoming_figures(user, now: datetime) -> list[Figure]:
    """The next policy runs and the next alerts and reports, soonest first."""
    figures = []
    if user.has_perm("policies.view_policy"):
        for policy, begins in upcoming_runs(now, UPCOMING_POLICY_RUNS):
            url = reverse("admin:policies_policy_change", args=[policy.pk])
            figures.append(Figure(f"Policy “{policy.name}”", url=url, note=_when(begins, now, policy_zone())))
    if user.has_perm("alerts.view_scheduledrun"):
        url = reverse("admin:alerts_scheduledrun_changelist")
        figures += [Figure(name, url=url, note=_when(sends_at, now, UTC)) for name, sends_at in upcoming_jobs(now)]
    return figures


def last_days(now: datetime, days: int) -> Period:
    """The last `days` whole UTC days, today included."""
    end = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return Period(f"{days}d", end - timedelta(days=days), end, "day")


def _when(moment: datetime, now: datetime, zone) -> str:
    shown = moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
    if moment <= now:
        return f"due now ({shown})"
    return f"{shown}, in {timesince(now, moment)}"
