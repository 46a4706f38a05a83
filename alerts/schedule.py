"""What `send_alerts` does on each run: check balances, and send what is due, each due thing exactly once.

A digest day, a report week or month and a daily drift check are each claimed by one `ScheduledRun`
row (unique per job and period) in the same transaction that queues their messages: two workers, or a
run repeated after a crash, never send one twice, and a crash before the commit leaves it due.
"""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from alerts import messages, operations, reports
from alerts.models import ScheduledRun
from alerts.once import once
from alerts.thresholds import Crossing, check_low_balances

logger = logging.getLogger("alerts.decision")


@dataclass
class RunSummary:
    users_checked: int = 0
    crossings: int = 0
    jobs: list[str] = field(default_factory=list)


def run_due(now: datetime | None = None) -> RunSummary:
    now = now or timezone.now()
    summary = RunSummary()
    checked = check_low_balances(_on_crossing, now)
    summary.users_checked, summary.crossings = checked.users_checked, len(checked.crossings)
    operations.check_operations(now)
    today = now.astimezone(UTC).date()
    if now.astimezone(UTC).hour >= settings.ALERT_DIGEST_HOUR_UTC:
        since = _last_digest(now)
        if once("digest", today.isoformat(), lambda: messages.queue_digest(since, now, str(today)), at=now):
            summary.jobs.append(f"digest {today}")
        if once("drift", today.isoformat(), lambda: operations.check_drift(today)):
            summary.jobs.append(f"drift {today}")
    for schedule in settings.REPORT_SCHEDULE:
        period = reports.previous_period(schedule, now)
        if once(f"report-{schedule}", period.name, lambda period=period: reports.queue_report(period)):
            summary.jobs.append(f"report {period.name}")
    return summary


def upcoming_jobs(now: datetime) -> list[tuple[str, datetime]]:
    """When the next digest and each scheduled report go out (a past time: due at the scheduler's next run)."""
    today = now.astimezone(UTC).date()
    digest_at = datetime.combine(today, time(settings.ALERT_DIGEST_HOUR_UTC), UTC)
    if ScheduledRun.objects.filter(job="digest", key=today.isoformat()).exists():
        digest_at += timedelta(days=1)
    jobs = [("Low-balance digest", digest_at)]
    for schedule in settings.REPORT_SCHEDULE:
        due = reports.previous_period(schedule, now)
        sends_at = due.end
        if ScheduledRun.objects.filter(job=f"report-{schedule}", key=due.name).exists():
            # The period after this one ends a week or a calendar month later.
            sends_at = reports.previous_period(
                schedule, due.end + timedelta(days=7 if schedule == "weekly" else 32)
            ).end
        jobs.append((f"{schedule.capitalize()} usage report", sends_at))
    return sorted(jobs, key=lambda job: job[1])


def _on_crossing(crossing: Crossing) -> None:
    messages.queue_low_balance_mail(crossing)
    channels = dict.fromkeys([*settings.ALERT_IMMEDIATE_CHANNELS, *crossing.channels])
    if channels:
        left = f"{crossing.available_credits:,.0f} left"
        text = f"{crossing.email} fell below {crossing.threshold_credits:,} credits ({left})."
        subject = "LibreChat credits: a user fell below a threshold"
        messages.queue_on_channels("alerts.low_balance.admin", subject, text, list(channels))


def _last_digest(now: datetime) -> datetime:
    previous = ScheduledRun.objects.filter(job="digest").order_by("-started_at").first()
    return previous.started_at if previous else now - timedelta(days=1)
