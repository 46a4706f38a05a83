from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.checks import Error, Warning, register

from librechat.mongo import mongo_unreachable_reason


@register()
def check_librechat_mongo(app_configs, **kwargs):
    reason = mongo_unreachable_reason()
    if reason is None:
        return []
    # A warning, not an error: migrations and other commands that need only our own database
    # must still run while MongoDB is down. `check --fail-level WARNING` turns it into exit 1.
    return [Warning(reason, hint="Start MongoDB or set MONGO_URI.", id="balancemgr.W001")]


@register()
def check_secret_key(app_configs, **kwargs):
    if settings.DEBUG or settings.SECRET_KEY != settings.INSECURE_DEV_SECRET_KEY:
        return []
    return [
        Error(
            "SECRET_KEY is not set and DEBUG is off.",
            hint="Set SECRET_KEY in the environment or .env to a long random value.",
            id="balancemgr.E002",
        )
    ]


@register()
def check_approval_links(app_configs, **kwargs):
    """Approval links in admin mails need their own secret and the public address of this site."""
    if settings.DEBUG:
        return []
    errors = []
    if not settings.WEBHOOK_SECRET:
        errors.append(
            Error(
                "WEBHOOK_SECRET is not set and DEBUG is off.",
                hint="Set WEBHOOK_SECRET to a long random value; it signs the approve/reject links in admin mails.",
                id="balancemgr.E010",
            )
        )
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
