"""The history's view of the ledger's journal: proxies that carry its admin URLs and permissions.

The journal itself lives in `ledger.models`.
"""

from ledger import models as ledger


class ChangeBatch(ledger.ChangeBatch):
    class Meta:
        proxy = True
        verbose_name = "batch"
        verbose_name_plural = "batches"


class BalanceChange(ledger.BalanceChange):
    class Meta:
        proxy = True


class ImportRow(ledger.ImportRow):
    class Meta:
        proxy = True
        verbose_name = "CSV top-up row"


class RefillChange(ledger.RefillChange):
    class Meta:
        proxy = True
