"""The audit history in the admin: every change, readable by viewers, written by nobody."""

import pytest

from audit.models import BalanceChange, ChangeBatch
from balances.ledger import Kind, Target, change_one
from balances.testing import create_user

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


@pytest.fixture
def change(mongo):
    alice = create_user("alice@example.com", 100)
    return change_one(
        Target(alice, "alice@example.com"),
        kind=Kind.ADD,
        amount_credits=2_000_000,
        source="cli",
        actor="ops",
        reason="refund",
    )


def test_viewers_see_batches_with_user_counts_and_totals(viewer_client, change):
    content = viewer_client.get("/admin/audit/changebatch/").content.decode()
    assert "refund" in content and "2,000,000" in content
    assert f"?batch__id__exact={change.batch.pk}" in content


def test_viewers_see_each_change_and_can_search_by_email(viewer_client, change):
    response = viewer_client.get("/admin/audit/balancechange/", {"q": "alice"})
    assert list(response.context["cl"].result_list) == [change]
    assert "2,000,100" in response.content.decode()


def test_nobody_edits_or_deletes_history(admin_client, change):
    assert admin_client.post(f"/admin/audit/balancechange/{change.pk}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.get("/admin/audit/changebatch/add/").status_code == 403
    assert BalanceChange.objects.count() == 1 and ChangeBatch.objects.count() == 1


def test_a_malformed_object_id_in_a_url_is_not_an_error(admin_client, change):
    response = admin_client.get("/admin/balances/balance/not-an-object-id/change/", follow=True)
    assert response.status_code == 200
    assert "not-an-object-id" in response.content.decode() and "exist" in response.content.decode()
