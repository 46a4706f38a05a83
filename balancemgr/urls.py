from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from api.api import api

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("request/", include("requests_app.urls")),
]
