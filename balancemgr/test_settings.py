"""The test suite's settings: production's (DEBUG off) with throw-away secrets.

The secrets go into the environment before the settings read it, so processes the tests start
(gunicorn, manage.py) inherit them; a test that needs them unset removes them from its process.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-secret")
os.environ.setdefault("WEBHOOK_SECRET", "test-only-not-secret")

from django.contrib.auth.hashers import PBKDF2PasswordHasher

from balancemgr.settings import *  # noqa: F403


class QuickPBKDF2PasswordHasher(PBKDF2PasswordHasher):
    """Django's hasher with few rounds: each test user's password would otherwise cost half a second.

    Its hashes still say `pbkdf2_sha256$1000$...`, so a server the tests start with production
    settings checks them too.
    """

    iterations = 1000


PASSWORD_HASHERS = ["balancemgr.test_settings.QuickPBKDF2PasswordHasher"]
