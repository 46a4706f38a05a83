from django.conf import settings
from django.db import models

from tenancy.scope import TENANTS_HELP, parse_tenants


class StaffTenantScope(models.Model):
    """Limits a staff account to some LibreChat tenants; a staff account without one sees every tenant."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tenant_scope")
    tenants = models.CharField(max_length=500, help_text=TENANTS_HELP)

    class Meta:
        verbose_name = "staff tenant scope"

    def __str__(self) -> str:
        return f"{self.user}: {self.tenants}"

    @property
    def tenant_set(self) -> frozenset[str]:
        return parse_tenants(self.tenants) or frozenset()
