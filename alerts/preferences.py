"""A LibreChat user's choice about low-balance mails: the unsubscribe link and /me/ both set it here."""

from django.conf import settings

from alerts.models import MailOptOut


def low_balance_mails_on(user_id: str) -> bool:
    """Whether this user gets low-balance mails (when the install sends them at all)."""
    return settings.LOW_BALANCE_MAIL_USERS and not MailOptOut.objects.filter(librechat_user_id=user_id).exists()


def set_low_balance_mails(user_id: str, email: str, *, wanted: bool) -> None:
    if wanted:
        MailOptOut.objects.filter(librechat_user_id=user_id).delete()
    else:
        MailOptOut.objects.get_or_create(librechat_user_id=user_id, defaults={"email": email})
