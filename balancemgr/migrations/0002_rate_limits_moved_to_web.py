from django.db import migrations


class Migration(migrations.Migration):
    """RateLimitWindow moves to web (table kept)."""

    dependencies = [
        ('balancemgr', '0001_rate_limit_windows'),
        ('web', '0001_rate_limits_moved_from_balancemgr'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='RateLimitWindow',
                ),
            ],
        ),
    ]
