"""Sign-in links and sessions of LibreChat users on their own statement (/me/), kept in this tool's database."""

from django.db import models
from django.utils import timezone


class SignInLink(models.Model):
    """One mailed sign-in link: its nonce makes the signed link usable once.

    Unknown addresses get a row too (with no user and never a link), so asking costs the same
    whether or not the address has an account.
    """

    nonce = models.CharField(max_length=64, unique=True)
    email = models.EmailField(max_length=254)
    librechat_user_id = models.CharField(max_length=24, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.email} ({'used' if self.used_at else 'unused'})"


class StatementSession(models.Model):
    """A signed-in LibreChat user; the /me/ cookie holds the signed key, so signing out ends it for good."""

    key = models.CharField(max_length=64, unique=True)
    librechat_user_id = models.CharField(max_length=24)
    email = models.EmailField(max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.email} until {self.expires_at:%Y-%m-%d %H:%M}"

    @property
    def is_live(self) -> bool:
        return self.expires_at > timezone.now()
