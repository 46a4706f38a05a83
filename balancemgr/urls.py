from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from api.api import api


class FaviconView(RedirectView):
    """/favicon.ico, which browsers ask for whatever the page links, to the static file (its hashed name)."""

    def get_redirect_url(self, *args, **kwargs) -> str:
        return static("balancemgr/favicon.ico")


urlpatterns = [
    path("favicon.ico", FaviconView.as_view()),
    # By name, so the redirect keeps the path prefix (BASE_PATH / SCRIPT_NAME).
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    # Usage analytics pages, inside the admin (before its catch-all patterns).
    path("admin/analytics/", include("analytics.urls")),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("request/", include("requests_app.urls")),
    path("me/", include("selfservice.urls")),
    # The public pages' language switcher (django.views.i18n.set_language).
    path("i18n/", include("django.conf.urls.i18n")),
    path("alerts/", include("alerts.urls")),
]

if settings.METRICS_ENABLED:
    urlpatterns.append(path("", include("django_prometheus.urls")))
