from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.checks import Error, Warning, register

from librechat.mongo import mongo_unreachable_reason
from outbox.channels import invalid_targets


@register()
def check_librechat_mongo(app_configs, **kwargs):
    reason = mongo_unreachable_reason()
    if reason is None:
        return []
    # A warning, not an error: migrations and other commands that need only our own database
    # must still run while MongoDB is down. `check --fail-level WARNING` turns it into exit 1.
    return [Warning(reason, hint="Start MongoDB or set MONGO_URI.", id="balancemgr.W001")]


@register()
def check_approval_links(app_configs, **kwargs):
    """Approval links in admin mails need the public address of this site (their secret: settings)."""
    if settings.DEBUG:
        return []
    errors = []
    if not settings.WEBHOOK_BASE_URL.startswith(("https://", "http://")):
        errors.append(
            Error(
                "WEBHOOK_BASE_URL is not set to an http(s) URL and DEBUG is off.",
                hint="Set it to the public address of this site, e.g. https://chat.example.com/balance-manager.",
                id="balancemgr.E011",
            )
        )
    return errors


@register()
def check_notify_to(app_configs, **kwargs):
    """Also with DEBUG on: whoever tries the request page should learn at start-up why no mail comes."""
    if settings.NOTIFY_TO:
        return []
    return [
        Warning(
            "NOTIFY_TO is empty: credit requests are stored but no admin is mailed.",
            hint="Set NOTIFY_TO to a comma-separated list of admin addresses.",
            id="balancemgr.W010",
        )
    ]


@register()
def check_policy_time_zone(app_configs, **kwargs):
    try:
        ZoneInfo(settings.POLICY_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return [
            Error(
                f"POLICY_TIME_ZONE {settings.POLICY_TIME_ZONE!r} is not a time zone.",
                hint="Use an IANA name such as UTC or Europe/Berlin: credit policies cannot be scheduled without one.",
                id="balancemgr.E020",
            )
        ]
    return []


@register()
def check_alert_settings(app_configs, **kwargs):
    """Alert targets and schedules a worker would only fail on later, told at start-up instead."""
    errors = [
        Error(
            f"NOTIFY_URLS target {name!r} is not a URL Apprise understands.",
            hint="See https://appriseit.com/services/ for each service's URL; write it as name=url.",
            id="balancemgr.E030",
        )
        for name in invalid_targets()
    ]
    unknown = sorted(set(settings.REPORT_SCHEDULE) - {"weekly", "monthly"})
    if unknown:
        errors.append(
            Error(
                f"REPORT_SCHEDULE has {', '.join(unknown)}.",
                hint="Use weekly, monthly, both or none.",
                id="balancemgr.E031",
            )
        )
    return errors
