"""Settings for the LibreChat Balance Manager, read from the environment (and `.env`)."""

import os
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from balancemgr.email_settings import email_settings
from balancemgr.log_format import JSON_FORMATTER

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

# A key that only a development run may use: with DEBUG off the start is refused (below).
INSECURE_DEV_SECRET_KEY = "insecure-dev-only-key-set-SECRET_KEY-in-production"
SECRET_KEY = env("SECRET_KEY", default=INSECURE_DEV_SECRET_KEY)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "balancemgr.apps.BalanceManagerAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "import_export",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "balancemgr.apps.BalanceManagerConfig",
    # Bottom to top (tests/test_layers.py keeps it so): LibreChat's collections and shared web pieces,
    # the ledger, then the features.
    "librechat",
    "web",
    "tenancy",
    "outbox",
    "ledger",
    "balances",
    "audit",
    "requests_app",
    "analytics",
    "policies",
    "ninja",
    "api",
    "selfservice",
    "alerts",
]

MIDDLEWARE = [
    # First: answers /health before host validation and the HTTPS redirect (see balancemgr/health.py).
    "balancemgr.health.HealthMiddleware",
    # Next, so that any error page on /api/, from any layer below, is turned into JSON.
    "api.middleware.ApiErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "balancemgr.middleware.MongoUnavailableMiddleware",
    # Last, as django-axes requires: refuses logins after repeated failures.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "balancemgr.urls"
WSGI_APPLICATION = "balancemgr.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

MONGO_URI = env("MONGO_URI", default="mongodb://127.0.0.1:27017/LibreChat")
MONGO_TIMEOUT_MS = env.int("MONGO_TIMEOUT_MS", default=5000)

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'balancemgr.sqlite3'}"),
    "librechat": {
        "ENGINE": "django_mongodb_backend",
        "HOST": MONGO_URI,
        # Empty: the database name comes from the URI path (".../LibreChat").
        "NAME": "",
        "OPTIONS": {
            "serverSelectionTimeoutMS": MONGO_TIMEOUT_MS,
            "connectTimeoutMS": MONGO_TIMEOUT_MS,
        },
    },
}
DATABASE_ROUTERS = ["librechat.routers.LibreChatRouter"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several gunicorn workers write to SQLite on every API request (rate limits). IMMEDIATE
    # transactions wait for the write lock instead of failing with "database is locked" when a
    # read turns into a write; WAL lets readers run beside the writer and makes commits cheap.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
# The public pages (/request/, /me/) and the mails to LibreChat users follow the visitor's language
# (web.i18n); the admin stays in LANGUAGE_CODE.
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["balancemgr.formats"]
# MongoDB truncates dates in the connection's time zone; UTC keeps both databases agreeing.
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Hashed, compressed files from collectstatic's manifest in the Docker image; plain files from
# the apps elsewhere (tests, the demo, a fresh checkout), where no manifest exists.
STATIC_MANIFEST = env.bool("STATIC_MANIFEST", default=False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# EMAIL_URL, or the old Balance Manager's SMTP_HOST/PORT/USER/PASS/FROM, or EMAIL_BACKEND (e.g. an
# anymail backend) with ANYMAIL_* settings; contradicting settings stop the start with a clear error.
vars().update(email_settings(os.environ))

# Credit amounts (1,000,000 credits = 1 USD).
TOPUP_PRESETS_CREDITS = env.list(
    "TOPUP_PRESETS_CREDITS", cast=int, default=[1_000_000, 5_000_000, 10_000_000, 20_000_000]
)
MAX_CREDIT_AMOUNT = env.int("MAX_CREDIT_AMOUNT", default=1_000_000_000)
BULK_CONFIRM_THRESHOLD = env.int("BULK_CONFIRM_THRESHOLD", default=100)
LEDGER_BATCH_SIZE = env.int("LEDGER_BATCH_SIZE", default=2000)
# A runner holds a batch this long between renewals; a killed runner's batch resumes after it.
LEDGER_LEASE_SECONDS = env.int("LEDGER_LEASE_SECONDS", default=60)
# Admin actions and imports reaching this many users run in the worker, not in the request.
BACKGROUND_BATCH_MIN_USERS = env.int("BACKGROUND_BATCH_MIN_USERS", default=500)

# Credit policies: their schedules' local times (daily at 00:00, monthly on the 1st) are in this zone.
POLICY_TIME_ZONE = env("POLICY_TIME_ZONE", default="UTC")
# How often `manage.py policy_scheduler` looks for due policies.
POLICY_CHECK_SECONDS = env.int("POLICY_CHECK_SECONDS", default=60)

# django-tasks (the backport of Django 6's tasks) with its database backend: the worker is
# `manage.py ledger_worker`, and the queue lives in this tool's own database.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# The outbox (every mail this tool sends goes through it, from the worker): a failed send is tried
# again after 1, 2, 4, ... times OUTBOX_FIRST_RETRY_SECONDS, at most OUTBOX_MAX_ATTEMPTS times in all.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
OUTBOX_FIRST_RETRY_SECONDS = env.int("OUTBOX_FIRST_RETRY_SECONDS", default=60)

# Credit requests (requests_app). The WEBHOOK_* and NOTIFY_TO names are the old Balance Manager's,
# so an operator's existing .env keeps working.
WEBHOOK_SECRET = env("WEBHOOK_SECRET", default="")
# With DEBUG off, nothing starts without real secrets: gunicorn and the worker never run Django's
# system checks, and the development key is public (anyone could sign a session or an approval link).
if not DEBUG and (
    missing := [
        name
        for name, value in [("SECRET_KEY", SECRET_KEY), ("WEBHOOK_SECRET", WEBHOOK_SECRET)]
        if value.strip() in ("", INSECURE_DEV_SECRET_KEY)
    ]
):
    raise ImproperlyConfigured(
        f"{' and '.join(missing)} must be set to a long random value when DEBUG is off "
        "(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')."
    )
WEBHOOK_BASE_URL = env("WEBHOOK_BASE_URL", default="")
WEBHOOK_TTL_HOURS = env.int("WEBHOOK_TTL_HOURS", default=72)
NOTIFY_TO = env.list("NOTIFY_TO", default=[])
# Chat and webhook targets for admin alerts (Apprise URLs, `name=url`); see outbox/channels.py.
NOTIFY_URLS = env.list("NOTIFY_URLS", default=[])
APPROVAL_LINKS_REQUIRE_LOGIN = env.bool("APPROVAL_LINKS_REQUIRE_LOGIN", default=False)
REQUEST_REFERENCE_LABEL = env("REQUEST_REFERENCE_LABEL", default="Reference")
REQUEST_REFERENCE_REQUIRED = env.bool("REQUEST_REFERENCE_REQUIRED", default=False)
REQUEST_APPROVE_PRESETS_CREDITS = env.list(
    "REQUEST_APPROVE_PRESETS_CREDITS", cast=int, default=[5_000_000, 10_000_000, 20_000_000]
)
REQUEST_NOTIFY_REQUESTER = env.bool("REQUEST_NOTIFY_REQUESTER", default=True)

# Alerts and reports (alerts/): run by `manage.py send_alerts` in the worker; see the README.
LOW_BALANCE_THRESHOLDS = env.list("LOW_BALANCE_THRESHOLDS", cast=int, default=[1_000_000, 0])
LOW_BALANCE_MAIL_USERS = env.bool("LOW_BALANCE_MAIL_USERS", default=False)
ALERT_IMMEDIATE_CHANNELS = env.list("ALERT_IMMEDIATE_CHANNELS", default=[])
ALERT_DIGEST_HOUR_UTC = env.int("ALERT_DIGEST_HOUR_UTC", default=7)
ALERT_TOP_UP_CREDITS = env.int("ALERT_TOP_UP_CREDITS", default=5_000_000)
ALERT_REQUEST_WAITING_HOURS = env.int("ALERT_REQUEST_WAITING_HOURS", default=24)
ALERT_WORKER_SILENT_MINUTES = env.int("ALERT_WORKER_SILENT_MINUTES", default=10)
REPORT_TO = env.list("REPORT_TO", default=[])
REPORT_SCHEDULE = env.list("REPORT_SCHEDULE", default=["weekly", "monthly"])
REQUEST_RATE_LIMIT_PER_IP_PER_HOUR = env.int("REQUEST_RATE_LIMIT_PER_IP_PER_HOUR", default=30)
REQUEST_RATE_LIMIT_PER_EMAIL_PER_HOUR = env.int("REQUEST_RATE_LIMIT_PER_EMAIL_PER_HOUR", default=3)

# "My credits" (selfservice/, /me/): LibreChat users sign in by a mailed single-use link.
ME_LINK_TTL_MINUTES = env.int("ME_LINK_TTL_MINUTES", default=15)
ME_SESSION_HOURS = env.int("ME_SESSION_HOURS", default=12)
ME_RATE_LIMIT_PER_IP_PER_HOUR = env.int("ME_RATE_LIMIT_PER_IP_PER_HOUR", default=10)
ME_RATE_LIMIT_PER_EMAIL_PER_HOUR = env.int("ME_RATE_LIMIT_PER_EMAIL_PER_HOUR", default=3)

# Logs go to stdout (the container's log); LOG_FORMAT=json writes one JSON object per line.
LOG_FORMAT = env("LOG_FORMAT", default="text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": JSON_FORMATTER,
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "json" if LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# django-import-export (exports only): exporting needs the model's view permission. CSV top-ups
# have their own import pages (audit.admin_import), which need audit.add_importrow.
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_SKIP_ADMIN_LOG = True

# Usage analytics (analytics/): hourly rollups of LibreChat's transactions in the default database.
# A refresh re-reads this many minutes before its watermark, so rows written late still count.
USAGE_LAG_MINUTES = env.int("USAGE_LAG_MINUTES", default=10)
# Pages refresh the rollups first when they are older than this...
USAGE_MAX_AGE_SECONDS = env.int("USAGE_MAX_AGE_SECONDS", default=60)
# ...but stop catching up after this long and show the data's age instead.
USAGE_PAGE_REFRESH_SECONDS = env.float("USAGE_PAGE_REFRESH_SECONDS", default=2.0)
# Hours of LibreChat activity per MongoDB aggregation when catching up or rebuilding: wider means
# fewer round trips, narrower means less memory and a page's refresh stops closer to its budget.
USAGE_CHUNK_HOURS = env.int("USAGE_CHUNK_HOURS", default=24)

# The JSON API (api/): requests a minute per API key, across all workers (0: no limit), and the
# largest request body it reads.
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=600)
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=16384)

# --- Production: sub-path, reverse proxy, hardening, health, metrics (issue 13) -------------------

# Served under a path prefix such as /balance-manager (the proxy strips it before passing the
# request on). Without BASE_PATH, a SCRIPT_NAME from the WSGI server still prefixes page links
# and redirects, but not static files or cookie paths: those are fixed at start-up.
BASE_PATH = env("BASE_PATH", default="").strip("/")
BASE_PATH = f"/{BASE_PATH}" if BASE_PATH else ""
if BASE_PATH:
    FORCE_SCRIPT_NAME = BASE_PATH
    # Absolute: gunicorn loads the app without the script prefix set, and the static files
    # storage keeps the URL it first sees.
    STATIC_URL = f"{BASE_PATH}/static/"
    SESSION_COOKIE_PATH = CSRF_COOKIE_PATH = LANGUAGE_COOKIE_PATH = f"{BASE_PATH}/"

# X-Forwarded-Proto/-Host/-For are believed only when a proxy we run sets them (the client
# address for rate limits and login throttling: web.client_ip).
TRUST_PROXY = env.bool("TRUST_PROXY", default=False)
if TRUST_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True

# Cookies only over HTTPS unless told otherwise: on by default when DEBUG is off.
SECURE_COOKIES = env.bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content security policy (django-csp 4): our own static files only, no inline script or style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# django-axes: after AXES_FAILURE_LIMIT failed admin logins for one username from one address, or
# from one address whatever the usernames (password spraying: one password against many users),
# that pair or address is refused (HTTP 429) for AXES_COOLOFF_MINUTES. Counts live in the default
# database, so they hold across gunicorn workers.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "web.client_ip.client_ip"

# /health: how long each database may take to answer before it counts as down.
HEALTH_TIMEOUT_MS = env.int("HEALTH_TIMEOUT_MS", default=2000)

# Prometheus metrics at /metrics (django-prometheus), off unless asked for.
METRICS_ENABLED = env.bool("METRICS_ENABLED", default=False)
if METRICS_ENABLED:
    INSTALLED_APPS.append("django_prometheus")
    MIDDLEWARE = [
        "django_prometheus.middleware.PrometheusBeforeMiddleware",
        *MIDDLEWARE,
        "django_prometheus.middleware.PrometheusAfterMiddleware",
    ]
