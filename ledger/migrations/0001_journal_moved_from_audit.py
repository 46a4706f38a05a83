import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    """The journal's tables, created by audit's migrations, now belong to the ledger: state only, same tables."""

    initial = True

    dependencies = [
        ('audit', '0003_reversal_record_and_refill_history'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ImportRow',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('batch_id', models.CharField(db_index=True, max_length=64)),
                        ('email', models.CharField(max_length=320)),
                        ('amount_credits', models.BigIntegerField()),
                        ('reason', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                    ],
                    options={
                        'db_table': 'audit_importrow',
                    },
                ),
                migrations.CreateModel(
                    name='ChangeBatch',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('batch_id', models.CharField(max_length=64, unique=True)),
                        ('fingerprint', models.CharField(blank=True, max_length=64)),
                        ('kind', models.CharField(choices=[('add', 'add credits'), ('set', 'set balance'), ('top_up_to', 'top up to'), ('subtract_clamped', 'subtract down to 0'), ('record', 'record only')], max_length=20)),
                        ('amount_credits', models.BigIntegerField(blank=True, help_text='Empty: each row has its own amount.', null=True)),
                        ('source', models.CharField(choices=[('admin', 'admin'), ('import', 'CSV import'), ('cli', 'command line'), ('api', 'API'), ('request', 'credit request')], max_length=10)),
                        ('actor', models.CharField(max_length=150)),
                        ('reason', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('lease_owner', models.CharField(blank=True, max_length=100)),
                        ('lease_expires_at', models.DateTimeField(blank=True, null=True)),
                        ('in_background', models.BooleanField(default=False, help_text='Applied by the worker, not in the request.')),
                        ('stopped_reason', models.TextField(blank=True, help_text='Why the last run stopped before the end.')),
                        ('reverses', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='reversed_by', to='ledger.changebatch')),
                    ],
                    options={
                        'db_table': 'audit_changebatch',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='BalanceChange',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('librechat_user_id', models.CharField(max_length=24)),
                        ('email', models.CharField(max_length=320)),
                        ('requested_credits', models.BigIntegerField(help_text='The amount to add, or the balance to set.')),
                        ('reason', models.TextField(blank=True, help_text="Empty: the batch's reason.")),
                        ('before_credits', models.FloatField(help_text='Empty: the user had no balance document.', null=True)),
                        ('after_credits', models.FloatField(null=True)),
                        ('delta_credits', models.FloatField(null=True)),
                        ('status', models.CharField(choices=[('pending', 'Pending'), ('applied', 'Applied'), ('failed', 'Failed'), ('review', 'needs review')], default='pending', max_length=10)),
                        ('error', models.TextField(blank=True)),
                        ('transaction_id', models.CharField(db_index=True, max_length=24)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('batch', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='changes', to='ledger.changebatch')),
                    ],
                    options={
                        'db_table': 'audit_balancechange',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='RefillChange',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('librechat_user_id', models.CharField(max_length=24)),
                        ('email', models.CharField(max_length=320)),
                        ('actor', models.CharField(max_length=150)),
                        ('changed_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('field_name', models.CharField(max_length=40)),
                        ('before_value', models.TextField(blank=True)),
                        ('after_value', models.TextField(blank=True)),
                    ],
                    options={
                        'db_table': 'audit_refillchange',
                        'ordering': ['-changed_at', '-id'],
                        'indexes': [models.Index(fields=['librechat_user_id', 'changed_at'], name='refill_user_changed'), models.Index(fields=['email', 'changed_at'], name='refill_email_changed')],
                    },
                ),
                migrations.AddIndex(
                    model_name='changebatch',
                    index=models.Index(fields=['source'], name='batch_source'),
                ),
                migrations.AddIndex(
                    model_name='changebatch',
                    index=models.Index(fields=['actor'], name='batch_actor'),
                ),
                migrations.AddIndex(
                    model_name='changebatch',
                    index=models.Index(fields=['kind'], name='batch_kind'),
                ),
                migrations.AddIndex(
                    model_name='balancechange',
                    index=models.Index(fields=['batch', 'status'], name='change_batch_status'),
                ),
                migrations.AddIndex(
                    model_name='balancechange',
                    index=models.Index(fields=['librechat_user_id', 'created_at'], name='change_user_created'),
                ),
                migrations.AddIndex(
                    model_name='balancechange',
                    index=models.Index(fields=['email', 'created_at'], name='change_email_created'),
                ),
                migrations.AddIndex(
                    model_name='balancechange',
                    index=models.Index(fields=['created_at'], name='change_created'),
                ),
                migrations.AddConstraint(
                    model_name='balancechange',
                    constraint=models.UniqueConstraint(fields=('batch', 'librechat_user_id'), name='one_change_per_user_per_batch'),
                ),
            ],
        ),
    ]
