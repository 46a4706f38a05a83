from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig
from django.db.models.signals import post_migrate


class BalanceManagerConfig(AppConfig):
    name = "balancemgr"
    verbose_name = "Balance Manager"

    def ready(self) -> None:
        from balancemgr import checks  # noqa: F401  (registers the system checks)
        from balancemgr.permissions import ensure_staff_groups

        # Auth creates each app's permissions in that app's post_migrate, so the groups are brought
        # up to date after every app's (cheap and idempotent); after the last one every permission exists.
        post_migrate.connect(ensure_staff_groups, dispatch_uid="balancemgr.ensure_staff_groups")


class BalanceManagerAdminConfig(AdminConfig):
    default_site = "balancemgr.admin_site.BalanceManagerAdminSite"
