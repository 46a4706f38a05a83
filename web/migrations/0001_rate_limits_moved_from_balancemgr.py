from django.db import migrations, models


class Migration(migrations.Migration):
    """The rate-limit table, created by balancemgr's migration, now belongs to web: state only, same table."""

    initial = True

    dependencies = [
        ('balancemgr', '0001_rate_limit_windows'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='RateLimitWindow',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('key', models.CharField(max_length=200)),
                        ('window_start', models.DateTimeField(db_index=True)),
                        ('hit_count', models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        'db_table': 'balancemgr_ratelimitwindow',
                        'constraints': [models.UniqueConstraint(fields=('key', 'window_start'), name='one_window_per_key')],
                    },
                ),
            ],
        ),
    ]
