from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig


class BalanceManagerConfig(AppConfig):
    name = "balancemgr"
    verbose_name = "Balance Manager"

    def ready(self) -> None:
        from balancemgr import checks  # noqa: F401  (registers the system checks)


class BalanceManagerAdminConfig(AdminConfig):
    default_site = "balancemgr.admin_site.BalanceManagerAdminSite"
