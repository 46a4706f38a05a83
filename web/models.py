from django.db import models


class RateLimitWindow(models.Model):
    """How often one key (an IP, an email, an API key) was seen in one fixed time window.

    Kept in the database, not in process memory, so a limit holds across gunicorn workers.
    """

    key = models.CharField(max_length=200)
    window_start = models.DateTimeField(db_index=True)
    hit_count = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "balancemgr_ratelimitwindow"  # the table kept its name when the model moved here
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="one_window_per_key")]

    def __str__(self) -> str:
        return f"{self.key} at {self.window_start:%Y-%m-%d %H:%M}: {self.hit_count}"
