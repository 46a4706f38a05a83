from django.contrib import admin

from tenancy.models import StaffTenantScope


@admin.register(StaffTenantScope)
class StaffTenantScopeAdmin(admin.ModelAdmin):
    """Superusers only: a person limited to some tenants must not widen their own scope."""

    list_display = ["user", "tenants"]
    search_fields = ["user__username", "tenants"]
    raw_id_fields = ["user"]

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)
