from django.db import migrations


class Migration(migrations.Migration):
    """The journal's models move to the ledger (tables kept); the history keeps proxies of them for its admin URLs and permissions."""

    dependencies = [
        ('audit', '0003_reversal_record_and_refill_history'),
        ('ledger', '0001_journal_moved_from_audit'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='balancechange',
                    name='batch',
                ),
                migrations.RemoveField(
                    model_name='changebatch',
                    name='reverses',
                ),
                migrations.DeleteModel(
                    name='ImportRow',
                ),
                migrations.DeleteModel(
                    name='RefillChange',
                ),
                migrations.DeleteModel(
                    name='BalanceChange',
                ),
                migrations.DeleteModel(
                    name='ChangeBatch',
                ),
                migrations.CreateModel(
                    name='ImportRow',
                    fields=[
                    ],
                    options={
                        'verbose_name': 'CSV top-up row',
                        'proxy': True,
                        'indexes': [],
                        'constraints': [],
                    },
                    bases=('ledger.importrow',),
                ),
                migrations.CreateModel(
                    name='RefillChange',
                    fields=[
                    ],
                    options={
                        'proxy': True,
                        'indexes': [],
                        'constraints': [],
                    },
                    bases=('ledger.refillchange',),
                ),
                migrations.CreateModel(
                    name='BalanceChange',
                    fields=[
                    ],
                    options={
                        'proxy': True,
                        'indexes': [],
                        'constraints': [],
                    },
                    bases=('ledger.balancechange',),
                ),
                migrations.CreateModel(
                    name='ChangeBatch',
                    fields=[
                    ],
                    options={
                        'verbose_name_plural': 'change batches',
                        'proxy': True,
                        'indexes': [],
                        'constraints': [],
                    },
                    bases=('ledger.changebatch',),
                ),
            ],
        ),
    ]
