from django.contrib import admin


class BalanceManagerAdminSite(admin.AdminSite):
    site_header = "LibreChat Balance Manager"
    site_title = "Balance Manager"
    index_title = "Overview"
