"""Every decision on a credit request is one log line with who, what and how much."""

import logging

import pytest

from librechat.testing import create_user
from requests_app.decisions import approve, reject
from requests_app.tests.conftest import pending_request

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


def test_approvals_and_rejections_are_logged(mongo, caplog):
    alice = create_user("alice@example.com", 0)
    approved = pending_request(user_id=alice)
    rejected = pending_request(email="bob@example.com", reason="please, my secret is hunter2")
    with caplog.at_level(logging.INFO, logger="requests_app.decisions"):
        approve(approved, amount_credits=5_000_000, decided_by="ann@example.com", channel="email_link")
        reject(rejected, note="no", decided_by="ben@example.com", channel="admin")
    decisions = [record for record in caplog.records if getattr(record, "event", "") == "credit_request_decision"]
    assert [(r.request_id, r.status, r.amount_granted_credits, r.decided_by, r.channel) for r in decisions] == [
        (approved.pk, "approved", 5_000_000, "ann@example.com", "email_link"),
        (rejected.pk, "rejected", None, "ben@example.com", "admin"),
    ]
    assert "hunter2" not in caplog.text
