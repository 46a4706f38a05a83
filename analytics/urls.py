from django.contrib import admin
from django.urls import path

from analytics import views

app_name = "analytics"
# Wrapped by the admin site: staff only, with the admin's login redirect and session handling.
urlpatterns = [
    path("", admin.site.admin_view(views.overview), name="overview"),
    path("users/", admin.site.admin_view(views.users), name="users"),
    path("models/", admin.site.admin_view(views.models), name="models"),
    path("agents/", admin.site.admin_view(views.agents), name="agents"),
]
