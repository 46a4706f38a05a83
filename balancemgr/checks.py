from django.conf import settings
from django.core.checks import Error, Warning, register

from balancemgr.mongo import mongo_unreachable_reason


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
