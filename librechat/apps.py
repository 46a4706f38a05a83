from django.apps import AppConfig


class LibreChatConfig(AppConfig):
    name = "librechat"
    verbose_name = "LibreChat's collections"
    # LibreChat's collections are keyed by ObjectId; every other app keeps integer keys.
    default_auto_field = "django_mongodb_backend.fields.ObjectIdAutoField"
