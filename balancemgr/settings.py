"""Settings for the LibreChat Balance Manager, read from the environment (and `.env`)."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env")

# A key that only a development or test run may use; the check in balancemgr.checks
# refuses to serve with it when DEBUG is off.
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
    "balancemgr.apps.BalanceManagerConfig",
    "balances",
    "audit",
    "requests_app",
    "analytics",
    "ninja",
    "api",
]

MIDDLEWARE = [
    # First, so that any error page on /api/, from any layer below, is turned into JSON.
    "api.middleware.ApiErrorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "balancemgr.middleware.MongoUnavailableMiddleware",
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
DATABASE_ROUTERS = ["balancemgr.routers.LibreChatRouter"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several gunicorn workers write to SQLite on every API request (rate limits). IMMEDIATE
    # transactions wait for the write lock instead of failing with "database is locked" when a
    # read turns into a write; WAL lets readers run beside the writer and makes commits cheap.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
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

vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="balancemgr@localhost")

# Credit amounts (1,000,000 credits = 1 USD).
TOPUP_PRESETS_CREDITS = env.list(
    "TOPUP_PRESETS_CREDITS", cast=int, default=[1_000_000, 5_000_000, 10_000_000, 20_000_000]
)
MAX_CREDIT_AMOUNT = env.int("MAX_CREDIT_AMOUNT", default=1_000_000_000)
BULK_CONFIRM_THRESHOLD = env.int("BULK_CONFIRM_THRESHOLD", default=100)
LEDGER_BATCH_SIZE = env.int("LEDGER_BATCH_SIZE", default=2000)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# django-import-export: exporting needs the model's view permission, importing CSV top-ups
# needs audit.add_importrow (the operator group has it).
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_SKIP_ADMIN_LOG = True

# The JSON API (api/): requests a minute per API key, across all workers (0: no limit), and the
# largest request body it reads.
API_RATE_LIMIT_PER_MINUTE = env.int("API_RATE_LIMIT_PER_MINUTE", default=600)
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=16384)
