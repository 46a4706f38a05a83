"""What alerts say and to whom: every message is queued in the outbox, which the worker sends.

Admins are reached on every configured channel: the NOTIFY_TO addresses by mail and each NOTIFY_URLS
target through Apprise. Mails to LibreChat users carry no operator text; user-controlled text
(names, emails) is escaped by the templates.
"""

import logging
from datetime import datetime, timedelta
from urllib.parse import urlencode

from bson import ObjectId
from django.conf import settings
from django.db.models import Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from alerts import links
from alerts.models import MailOptOut, ThresholdState
from alerts.thresholds import Crossing
from analytics.models import MILLICREDITS_PER_CREDIT, UsageRollup
from analytics.reports import days_until_empty
from librechat.credits import format_credits, format_credits_and_usd
from librechat.mongo import librechat_db
from librechat.refill import next_refill_at
from outbox.channels import apprise_targets
from outbox.models import Message
from outbox.queue import queue_message, queue_on_every_target
from policies.membership import policies_of
from policies.models import Policy
from policies.schedule import next_run
from requests_app.links import absolute_url

logger = logging.getLogger("alerts.decision")
SPEND_DAYS = 7
# Policy actions that give credits; an "expire to 0" policy is no allowance.
ALLOWANCE_ACTIONS = {Policy.Action.TOP_UP_TO, Policy.Action.RESET, Policy.Action.ADD}


def queue_low_balance_mail(crossing: Crossing) -> bool:
    """The user's mail for a crossing, unless they unsubscribed or have no address; True if queued."""
    if not settings.LOW_BALANCE_MAIL_USERS or not crossing.email:
        return False
    if MailOptOut.objects.filter(librechat_user_id=crossing.user_id).exists():
        logger.info("user mail skipped", extra={"event": "low_balance_mail_skipped", "user_id": crossing.user_id})
        return False
    request_url = absolute_url(reverse("requests_app:request")) + "?" + urlencode({"email": crossing.email})
    context = {
        "next_allowance": next_allowance(ObjectId(crossing.user_id), timezone.now()),
        "available": format_credits_and_usd(crossing.available_credits, " credits"),
        "threshold": format_credits(crossing.threshold_credits),
        "request_url": request_url,
        "unsubscribe_url": links.unsubscribe_url(crossing.user_id, crossing.email),
    }
    queue_message(
        event="alerts.low_balance.user",
        recipient=crossing.email,
        subject=gettext("Your LibreChat credits are running low"),
        body_text=render_to_string("alerts/mail/low_balance.txt", context),
        body_html=render_to_string("alerts/mail/low_balance.html", context),
        reference=f"user:{crossing.user_id}",
    )
    logger.info(
        "user mail queued",
        extra={
            "event": "low_balance_mail_queued",
            "user_id": crossing.user_id,
            "threshold": crossing.threshold_credits,
        },
    )
    return True


def next_allowance(user_id: ObjectId, now: datetime) -> str:
    """When the user next gets credits: their policy's next run or LibreChat's auto-refill, whichever is first."""
    moments = []
    policy = policies_of([user_id]).get(user_id)
    if policy is not None and policy.action in ALLOWANCE_ACTIONS:
        moments.append(next_run(policy, now))
    refill = next_refill_at(librechat_db().balances.find_one({"user": user_id}, sort=[("_id", 1)]))
    if refill is not None:
        moments.append(max(refill, now))
    return f"{min(moments):%Y-%m-%d %H:%M} UTC" if moments else ""


def digest_rows(since: datetime, now: datetime) -> tuple[list[dict], list[dict]]:
    """(who crossed a threshold after `since` up to `now`, who is at zero or below), each with 7-day spend."""
    crossed = ThresholdState.objects.filter(fired=True, fired_at__gt=since, fired_at__lte=now).order_by(
        "available_credits_when_fired", "email"
    )
    at_zero = ThresholdState.objects.filter(fired=True, available_credits_when_fired__lte=0).order_by("email")
    user_ids = {state.librechat_user_id for state in [*crossed, *at_zero]}
    spent = dict(
        UsageRollup.objects.filter(user_id__in=user_ids, hour__gte=now - timedelta(days=SPEND_DAYS), hour__lt=now)
        .exclude(token_type="credits")
        .values("user_id")
        .annotate(cost=Sum("cost_millicredits"))
        .values_list("user_id", "cost")
    )
    return [_digest_row(state, spent) for state in crossed], [
        _digest_row(state, spent) for state in {s.librechat_user_id: s for s in at_zero}.values()
    ]


def _digest_row(state: ThresholdState, spent_millicredits: dict) -> dict:
    spent_credits = (spent_millicredits.get(state.librechat_user_id) or 0) / MILLICREDITS_PER_CREDIT
    return {
        "user_id": state.librechat_user_id,
        "email": state.email,
        "threshold": format_credits(state.threshold_credits),
        "available": format_credits_and_usd(state.available_credits_when_fired),
        "spent_7_days": format_credits_and_usd(spent_credits),
        "days_left": days_until_empty(state.available_credits_when_fired, spent_credits, SPEND_DAYS),
    }


def queue_digest(since: datetime, now: datetime, period_key: str) -> int:
    """The admins' digest on every channel; returns the number of messages queued (0 when nobody crossed)."""
    crossed, at_zero = digest_rows(since, now)
    if not crossed and not at_zero:
        return 0
    subject = f"LibreChat credits: {len(crossed)} below a threshold, {len(at_zero)} at zero"
    queued = 0
    for address in settings.NOTIFY_TO:
        context = {
            "crossed": [_with_link(row, address) for row in crossed],
            "at_zero": [_with_link(row, address) for row in at_zero],
            "top_up": format_credits_and_usd(settings.ALERT_TOP_UP_CREDITS, " credits"),
            "admin_url": absolute_url(reverse("admin:balances_balance_changelist")),
        }
        queue_message(
            event="alerts.digest",
            recipient=address,
            subject=subject,
            body_text=render_to_string("alerts/mail/digest.txt", context),
            body_html=render_to_string("alerts/mail/digest.html", context),
            dedupe_key=f"digest:{period_key}:{address}",
        )
        queued += 1
    text = render_to_string("alerts/chat/digest.txt", {"crossed": crossed, "at_zero": at_zero})
    queued += queue_on_every_target("alerts.digest", subject, text, dedupe_key=f"digest:{period_key}")
    return queued


def _with_link(row: dict, recipient: str) -> dict:
    url = links.top_up_url(row["user_id"], row["email"], settings.ALERT_TOP_UP_CREDITS, recipient)
    return {**row, "top_up_url": url}


def queue_on_channels(event: str, subject: str, text: str, names: list[str]) -> int:
    """The text to each named channel: an email address, or a NOTIFY_URLS target's name; returns how many."""
    targets = apprise_targets()
    queued = 0
    for name in names:
        if "@" in name:
            queue_message(event=event, recipient=name, subject=subject, body_text=text)
        elif name in targets:
            queue_message(event=event, recipient=name, subject=subject, body_text=text, channel=Message.Channel.APPRISE)
        else:
            logger.warning("unknown alert channel", extra={"event": "alert_channel_unknown", "channel": name})
            continue
        queued += 1
    return queued


def queue_admin_alert(event: str, subject: str, text: str, dedupe_key: str) -> int:
    """An operational alert (batch stopped, worker silent, drift, a request waiting) to every admin channel."""
    queued = 0
    for address in settings.NOTIFY_TO:
        queue_message(
            event=event, recipient=address, subject=subject, body_text=text, dedupe_key=f"{dedupe_key}:{address}"
        )
        queued += 1
    queued += queue_on_every_target(event, subject, text, dedupe_key=dedupe_key)
    logger.info("admin alert queued", extra={"event": event, "key": dedupe_key, "messages": queued})
    return queued
