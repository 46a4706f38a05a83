"""The test suite's settings: production's (DEBUG off) with throw-away secrets.

The secrets go into the environment before the settings read it, so processes the tests start
(gunicorn, manage.py) inherit them; a test that needs them unset removes them from its process.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("WEBHOOK_SECRET", "test-only-not-secret")

from balancemgr.settings import *  # noqa: F403
