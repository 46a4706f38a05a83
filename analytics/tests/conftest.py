import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Staff users are created per test; the default hasher costs about a second each on a busy machine.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
