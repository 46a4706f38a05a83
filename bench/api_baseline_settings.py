"""Production settings plus one route: the minimal view bench/api.py compares the API against."""

from balancemgr.settings import *  # noqa: F403

ROOT_URLCONF = "api_baseline_urls"
