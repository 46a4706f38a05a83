from django.apps import AppConfig


class BalancesConfig(AppConfig):
    name = "balances"
    verbose_name = "LibreChat balances"
    # LibreChat's collections are keyed by ObjectId; every other app keeps integer keys.
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"
