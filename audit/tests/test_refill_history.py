"""Refill-setting changes (written by the balance page) appear in the history."""

import pytest

from ledger.models import RefillChange
from librechat.testing import create_user

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
REFILLS = "/admin/audit/refillchange/"


@pytest.fixture
def refill_change(mongo):
    user_id = create_user("alice@example.com", 100)
    return RefillChange.objects.create(
        librechat_user_id=str(user_id),
        email="alice@example.com",
        actor="operator",
        field_name="refillAmount",
        before_value="10000",
        after_value="5000000",
    )


def test_viewers_find_refill_changes_by_email_with_before_and_after(viewer_client, refill_change):
    response = viewer_client.get(REFILLS, {"q": "ALICE"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [refill_change]
    content = response.content.decode()
    assert "refillAmount" in content and "5000000" in content and "operator" in content
    assert f"/admin/balances/librechatuser/{refill_change.librechat_user_id}/change/" in content
    assert list(viewer_client.get(REFILLS, {"q": "bob"}).context["cl"].result_list) == []


def test_the_user_page_lists_the_users_refill_changes(viewer_client, refill_change):
    response = viewer_client.get(f"/admin/balances/librechatuser/{refill_change.librechat_user_id}/change/")
    assert response.status_code == 200 and response.context["refill_changes"] == [refill_change]
    assert "refillAmount" in response.content.decode()


def test_the_history_tabs_link_to_refill_changes(viewer_client, refill_change):
    assert REFILLS in viewer_client.get("/admin/audit/balancechange/").content.decode()
