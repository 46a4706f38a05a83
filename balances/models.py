"""The admin's view of LibreChat's collections: proxies that carry its URLs and staff permissions.

The models themselves, and what LibreChat's documents look like, live in `librechat.models`.
"""

from librechat import models as librechat


class LibreChatUser(librechat.LibreChatUser):
    class Meta:
        proxy = True
        verbose_name = "LibreChat user"


class Balance(librechat.Balance):
    class Meta:
        proxy = True
        permissions = [("change_credits", "Can top up and set LibreChat balances")]


class Transaction(librechat.Transaction):
    class Meta:
        proxy = True
