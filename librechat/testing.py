"""Helpers for tests: LibreChat documents written with raw pymongo, exactly as LibreChat stores them."""

import io
import time

from bson import ObjectId

from librechat import documents
from librechat.mongo import librechat_db


def create_user(
    email: str,
    credits: float | None = None,
    *,
    role: str = "USER",
    name: str = "",
    tenant_id: str | None = None,
    **balance_fields,
):
    """Insert a user (and a balance document unless `credits` is None); returns the user's ObjectId."""
    database = librechat_db()
    local_part = email.split("@")[0]
    user = documents.user(email, name=name or local_part.title(), username=local_part, role=role, tenant_id=tenant_id)
    database.users.insert_one(user)
    if credits is not None:
        database.balances.insert_one(documents.balance(user["_id"], credits, tenant_id=tenant_id, **balance_fields))
    return user["_id"]


def balance_documents(user_id: ObjectId) -> list[dict]:
    return list(librechat_db().balances.find({"user": user_id}).sort("_id", 1))


def credits_of(user_id: ObjectId) -> float | None:
    """The balance LibreChat would read: the earliest balance document's tokenCredits."""
    found = balance_documents(user_id)
    return found[0]["tokenCredits"] if found else None


def credit_transactions(user_id: ObjectId) -> list[dict]:
    return list(librechat_db().transactions.find({"user": user_id, "tokenType": "credits"}).sort("_id", 1))


class Terminal(io.StringIO):
    """Standard input that says it is a terminal, for the commands' interactive prompts."""

    def isatty(self) -> bool:
        return True


def log_in_in_browser(page, base_url: str, next_path: str, *, group: str | None = None, username: str = "olga") -> None:
    """Create a staff user (in `group`, or a superuser when None) and log in through the admin's login page."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    User = get_user_model()
    if group is None:
        User.objects.create_superuser(username, password="correct horse")
    else:
        User.objects.create_user(username, password="correct horse", is_staff=True).groups.add(
            Group.objects.get(name=group)
        )
    page.goto(f"{base_url}/admin/login/?next={next_path}")
    page.fill("#id_username", username)
    page.fill("#id_password", "correct horse")
    page.click("input[type=submit]")


def wait_for_chart(page, element_id: str, timeout_seconds: float = 10) -> None:
    """Wait until Chart.js has drawn on the canvas `element_id`; fails the test after the timeout."""
    import pytest

    # Polled from Python: page.wait_for_function evaluates its predicate with eval() inside the
    # page, which our CSP (script-src 'self', no unsafe-eval) rightly refuses.
    deadline = time.monotonic() + timeout_seconds
    while not page.evaluate("(id) => document.getElementById(id)?.chart !== undefined", element_id):
        if time.monotonic() > deadline:
            pytest.fail(f"the chart {element_id} was not drawn within {timeout_seconds} s")
        page.wait_for_timeout(100)
