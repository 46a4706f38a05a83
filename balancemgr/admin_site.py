from django.contrib import admin
from django.urls import reverse

from balancemgr.home import Home, home
from tenancy.admin_lists import every_tenant_only, is_limited

# The home page's and the sidebar's sections, as a person looks for things: (section, [(app, model)]).
# Every other registered model is an internal and goes under "System", for superusers only.
SECTIONS = [
    ("Balances", [("balances", "Balance")]),
    ("Users", [("balances", "LibreChatUser")]),
    ("Requests", [("requests_app", "CreditRequest")]),
    ("History", [
        ("audit", "BalanceChange"), ("audit", "ChangeBatch"), ("audit", "RefillChange"), ("balances", "Transaction"),
    ]),
    ("Analytics", []),
    ("Policies", [("policies", "Policy"), ("alerts", "PolicyThresholds")]),
    ("Alerts", [("alerts", "ThresholdState"), ("alerts", "ScheduledRun")]),
    ("API keys", [("api", "ApiKey")]),
]  # fmt: skip
# Pages that are not a model's list, shown in a section to those with the permission:
# (title, URL name, permission, whether it shows staff limited to some tenants only their tenants).
PAGES = {
    "History": [("LibreChat credits rows", "admin:audit_librechat_credits", "audit.view_balancechange", False)],
    "Analytics": [
        ("Overview", "analytics:overview", "analytics.view_analytics", True),
        ("Users", "analytics:users", "analytics.view_analytics", True),
        ("Models", "analytics:models", "analytics.view_analytics", True),
        ("Agents", "analytics:agents", "analytics.view_analytics", True),
    ],
}
# In "System", Django's staff accounts must not read as LibreChat's users.
SYSTEM_NAMES = {
    ("auth", "User"): "Staff accounts",
    ("auth", "Group"): "Staff groups",
    ("django_tasks_database", "DBTaskResult"): "Task results",
}


class BalanceManagerAdminSite(admin.AdminSite):
    site_header = "LibreChat Balance Manager"
    site_title = "Balance Manager"
    index_title = "Today"

    def index(self, request, extra_context=None):
        # The figures total the whole install: staff limited to some tenants get the sections only.
        figures = Home() if is_limited(request) else home(request.user)
        return super().index(request, {"home": figures, **(extra_context or {})})

    def admin_view(self, view, cacheable=False):
        # Safe by default for staff limited to some tenants: every page shows the whole install
        # unless its admin scopes rows by tenant (tenancy.admin_lists.TenantScopedAdminMixin) or the
        # view says it scopes itself (tenant_scoped). The site's own views (index, login, password
        # change) stay open; a scoped admin's extra views that span tenants refuse limited staff themselves.
        owner = getattr(view, "__self__", None)
        scoped = getattr(owner, "tenant_scoped", False) or getattr(view, "tenant_scoped", False)
        if owner is not self and not scoped:
            view = every_tenant_only(view)
        return super().admin_view(view, cacheable)

    def get_app_list(self, request, app_label=None):
        if app_label is not None:
            return super().get_app_list(request, app_label)
        app_dict = self._build_app_dict(request)
        if is_limited(request):
            for app in app_dict.values():
                app["models"] = [
                    m for m in app["models"] if getattr(self._registry[m["model"]], "tenant_scoped", False)
                ]
        return sections(request, app_dict)


def sections(request, app_dict: dict) -> list[dict]:
    """The registered models the user may see, in SECTIONS, and the rest under "System" for superusers."""
    models = {(label, model["object_name"]): model for label, app in app_dict.items() for model in app["models"]}
    found = []
    for name, members in SECTIONS:
        entries = [models.pop(member) for member in members if member in models]
        entries += [
            {"name": title, "object_name": title.replace(" ", ""), "admin_url": reverse(url_name), "view_only": True}
            for title, url_name, permission, tenant_scoped in PAGES.get(name, [])
            if request.user.has_perm(permission) and (tenant_scoped or not is_limited(request))
        ]
        if entries:
            found.append(_section(name, entries))
    if request.user.is_superuser and models:
        for key, model in models.items():
            model["name"] = SYSTEM_NAMES.get(key, model["name"])
        found.append(_section("System", sorted(models.values(), key=lambda model: str(model["name"]))))
    return found


def _section(name: str, models: list[dict]) -> dict:
    return {
        "name": name,
        "app_label": name.lower().replace(" ", "-"),
        "app_url": models[0]["admin_url"],
        "has_module_perms": True,
        "models": models,
    }
