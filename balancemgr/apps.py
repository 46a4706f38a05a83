from django.apps import AppConfig, apps
from django.contrib.admin.apps import AdminConfig
from django.db.models.signals import post_migrate


class BalanceManagerConfig(AppConfig):
    name = "balancemgr"
    verbose_name = "Balance Manager"

    def ready(self) -> None:
        from balancemgr import checks  # noqa: F401  (registers the system checks)
        from balancemgr.permissions import ensure_staff_groups

        # Auth creates each app's permissions in that app's post_migrate, app by app in
        # INSTALLED_APPS order: by the last app's signal every permission the groups use exists.
        post_migrate.connect(ensure_staff_groups, sender=list(apps.get_app_configs())[-1])


class BalanceManagerAdminConfig(AdminConfig):
    default_site = "balancemgr.admin_site.BalanceManagerAdminSite"
