"""gunicorn settings for the image: `gunicorn --config python:balancemgr.gunicorn_conf balancemgr.wsgi`."""

import os

from balancemgr.log_format import JSON_FORMATTER

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT_SECONDS", "60"))
accesslog = "-"
errorlog = "-"

if os.environ.get("LOG_FORMAT") == "json":
    # gunicorn's own lines in the same one-object-per-line shape as Django's.
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": JSON_FORMATTER,
        },
        "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "json"}},
        "loggers": {
            "gunicorn.error": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        },
    }
