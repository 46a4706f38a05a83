"""The apps' imports point down only: LibreChat's collections and shared web pieces at the bottom,
the ledger on them, the features on top, the project (balancemgr) above everything."""

import ast
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]
PROJECT = "balancemgr"

# What each app may import of ours (besides itself). A new app is added here, with its layer.
MAY_IMPORT = {
    "librechat": set(),
    "web": set(),
    "tenancy": {"librechat", "web"},
    "outbox": {"web"},
    "ledger": {"librechat", "outbox"},
    "balances": {"librechat", "web", "tenancy", "ledger"},
    "audit": {"librechat", "web", "tenancy", "ledger", "balances"},
    "requests_app": {"librechat", "web", "tenancy", "ledger", "balances", "outbox"},
    "analytics": {"librechat", "web", "tenancy"},
    "api": {"librechat", "web", "tenancy", "ledger", "analytics", "policies"},
    "policies": {"librechat", "web", "tenancy", "ledger", "balances"},
    "selfservice": {
        "librechat",
        "web",
        "tenancy",
        "ledger",
        "analytics",
        "requests_app",
        "outbox",
        "policies",
        "alerts",
    },
    "alerts": {"librechat", "web", "tenancy", "ledger", "analytics", "requests_app", "outbox", "policies", "balances"},
}


def our_apps() -> set[str]:
    return {config.name for config in apps.get_app_configs() if (ROOT / config.name).is_dir()}


def imports_between_apps() -> dict[tuple[str, str], list[str]]:
    """{(importing app, imported app): ["file:line", ...]} over every module, tests included."""
    found: dict[tuple[str, str], list[str]] = {}
    for app in our_apps():
        for path in (ROOT / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    target = module.split(".")[0]
                    if target != app and target in our_apps():
                        where = f"{path.relative_to(ROOT)}:{node.lineno}"
                        found.setdefault((app, target), []).append(where)
    return found


def test_every_app_has_a_layer():
    assert our_apps() - {PROJECT} == set(MAY_IMPORT)


def test_no_app_imports_upwards_or_sideways():
    upward = {
        f"{app} -> {target}": places
        for (app, target), places in imports_between_apps().items()
        if app != PROJECT and target not in MAY_IMPORT[app]
    }
    assert upward == {}


def test_nothing_imports_the_project_package():
    # Django reaches balancemgr through settings, manage.py and WSGI; apps never do.
    importers = {app: places for (app, target), places in imports_between_apps().items() if target == PROJECT}
    assert importers == {}


def test_the_layers_have_no_cycle():
    visiting, done = set(), set()

    def visit(app: str, path: list[str]) -> None:
        assert app not in visiting, f"cycle: {' -> '.join([*path, app])}"
        if app in done:
            return
        visiting.add(app)
        for target in MAY_IMPORT[app]:
            visit(target, [*path, app])
        visiting.discard(app)
        done.add(app)

    for app in MAY_IMPORT:
        visit(app, [])
