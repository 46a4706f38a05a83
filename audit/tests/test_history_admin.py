"""The audit history in the admin: every change, readable by viewers, written by nobody."""

import csv
import io

import pytest
from bson import ObjectId
from django.db import connections
from django.test.utils import CaptureQueriesContext

from ledger.changes import Kind, Target, change_one, open_batch, run_batch
from ledger.models import BalanceChange, ChangeBatch, RefillChange
from librechat.testing import create_user

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
HISTORY = "/admin/audit/balancechange/"


def change(email, amount, *, kind=Kind.ADD, source="cli", actor="ops", reason="refund", credits=100):
    user_id = create_user(email, credits)
    return change_one(
        Target(user_id, email), kind=kind, amount_credits=amount, source=source, actor=actor, reason=reason
    )


@pytest.fixture
def changes(mongo):
    return {
        "alice": change("alice@example.com", 2_000_000),
        "bob": change("bob@example.com", 50, kind=Kind.SET, source="admin", actor="carol", reason="=HYPERLINK(1)"),
        "malice": change("malice@example.org", 300_000, source="import", actor="carol"),
    }


def listed(response) -> list[str]:
    assert response.status_code == 200
    return sorted(row.email for row in response.context["cl"].result_list)


def test_viewers_see_batches_with_user_counts_and_totals(viewer_client, changes):
    content = viewer_client.get("/admin/audit/changebatch/").content.decode()
    assert "refund" in content and "2,000,000" in content
    assert f"?batch__id__exact={changes['alice'].batch.pk}" in content


def test_each_row_shows_who_when_why_and_links_to_the_user_and_batch(viewer_client, changes):
    alice = changes["alice"]
    content = viewer_client.get(HISTORY, {"q": "alice"}).content.decode()
    assert "2,000,100" in content and "ops" in content and "refund" in content and "command line" in content
    assert f"/admin/balances/librechatuser/{alice.librechat_user_id}/change/" in content
    assert f"/admin/audit/changebatch/{alice.batch.pk}/change/" in content


def test_search_matches_any_part_of_an_email(viewer_client, changes):
    assert listed(viewer_client.get(HISTORY, {"q": "LICE@"})) == ["alice@example.com", "malice@example.org"]
    assert listed(viewer_client.get(HISTORY, {"q": "example.org"})) == ["malice@example.org"]
    assert listed(viewer_client.get(HISTORY, {"q": changes["bob"].librechat_user_id})) == ["bob@example.com"]


def test_user_pages_link_to_an_exact_history(viewer_client, changes):
    assert listed(viewer_client.get(HISTORY, {"librechat_user_id": changes["bob"].librechat_user_id})) == [
        "bob@example.com"
    ]
    assert listed(viewer_client.get(HISTORY, {"email": "alice@example.com"})) == ["alice@example.com"]


def test_filters_by_source_actor_status_batch_and_dates(viewer_client, changes):
    assert listed(viewer_client.get(HISTORY, {"source": "import"})) == ["malice@example.org"]
    assert listed(viewer_client.get(HISTORY, {"actor": "carol"})) == ["bob@example.com", "malice@example.org"]
    assert listed(viewer_client.get(HISTORY, {"status__exact": "failed"})) == []
    assert listed(viewer_client.get(HISTORY, {"batch__id__exact": changes["bob"].batch.pk})) == ["bob@example.com"]
    today = changes["alice"].created_at.date().isoformat()
    assert len(listed(viewer_client.get(HISTORY, {"created_from": today, "created_to": today}))) == 3
    assert listed(viewer_client.get(HISTORY, {"created_from": "2999-01-01"})) == []


def test_a_bad_date_or_batch_shows_a_message_and_no_rows(viewer_client, changes):
    for params in ({"created_from": "yesterday"}, {"created_to": "2026-02-30"}, {"batch__id__exact": "x"}):
        response = viewer_client.get(HISTORY, params, follow=True)
        assert response.status_code == 200, params
        assert "No rows are shown" in response.content.decode(), params
        assert BalanceChange.objects.count() == 3


@pytest.mark.parametrize(
    "params",
    [
        {"batch__id__exact": "99999999999999999999"},
        {"batch__id__exact": "0"},
        {"source": "nowhere"},
        {"source": ["cli", "import"]},
        {"actor": ["ops", "carol"]},
        {"created_from": ["2020-01-01", "2999-01-01"]},
    ],
)
def test_an_unknown_or_out_of_range_filter_value_matches_no_rows(viewer_client, changes, params):
    response = viewer_client.get(HISTORY, params)
    assert listed(response) == []
    assert "No rows are shown" in response.content.decode()


@pytest.mark.parametrize("url", [HISTORY, "/admin/audit/changebatch/", "/admin/audit/refillchange/"])
def test_an_out_of_range_date_in_the_address_is_refused_not_an_error(viewer_client, changes, url):
    field = "changed_at" if "refill" in url else "created_at"
    response = viewer_client.get(url, {f"{field}__year": "99999999999999999999"}, follow=True)
    assert response.status_code == 200
    assert "out of range" in response.content.decode()


def test_the_source_filter_offers_only_sources_that_have_rows(viewer_client, changes):
    response = viewer_client.get(HISTORY)
    source_filter = next(spec for spec in response.context["cl"].filter_specs if spec.title == "source")
    assert [value for value, _ in source_filter.lookup_choices] == ["admin", "import", "cli"]
    batches = viewer_client.get("/admin/audit/changebatch/")
    source_filter = next(spec for spec in batches.context["cl"].filter_specs if spec.title == "source")
    assert "api" not in [value for value, _ in source_filter.lookup_choices]


def test_totals_of_the_filtered_set_come_from_one_aggregate_query(viewer_client, changes):
    with CaptureQueriesContext(connections["default"]) as queries:
        response = viewer_client.get(HISTORY, {"actor": "carol"})
    assert response.context["totals"] == {"credited": 300_000, "debited": -50, "net": 299_950, "users": 2}
    assert sum("SUM(" in query["sql"].upper() for query in queries.captured_queries) == 1
    assert "299,950" in response.content.decode()
    assert viewer_client.get(HISTORY).context["totals"]["users"] == 3


def test_the_filtered_set_exports_as_formula_escaped_csv(viewer_client, changes):
    response = viewer_client.get(f"{HISTORY}export.csv", {"actor": "carol"})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(row["email"] for row in rows) == ["bob@example.com", "malice@example.org"]
    bob = next(row for row in rows if row["email"] == "bob@example.com")
    assert bob["reason"] == "'=HYPERLINK(1)" and bob["delta_credits"] == "-50.0" and bob["batch_id"]
    assert f"{HISTORY}export.csv?actor=carol" in viewer_client.get(HISTORY, {"actor": "carol"}).content.decode()


def test_batches_and_refill_changes_export_too(viewer_client, changes):
    RefillChange.objects.create(
        librechat_user_id="a" * 24, email="+x@example.com", actor="ops", field_name="refillAmount"
    )
    batches = viewer_client.get("/admin/audit/changebatch/export.csv")
    assert batches.status_code == 200 and b",'=HYPERLINK(1)," in b"".join(batches.streaming_content)
    refills = viewer_client.get("/admin/audit/refillchange/export.csv")
    assert refills.status_code == 200 and b"'+x@example.com" in b"".join(refills.streaming_content)


def test_the_index_and_user_pages_link_to_the_history(viewer_client, changes):
    assert HISTORY in viewer_client.get("/admin/").content.decode()
    user_id = changes["alice"].librechat_user_id
    page = viewer_client.get(f"/admin/balances/librechatuser/{user_id}/change/")
    assert page.status_code == 200 and f"{HISTORY}?librechat_user_id={user_id}" in page.content.decode()


def audit_urls(changes) -> list[str]:
    refill = RefillChange.objects.create(librechat_user_id="a" * 24, email="a@example.com", actor="o", field_name="f")
    objects = {
        "balancechange": changes["alice"].pk,
        "changebatch": changes["alice"].batch.pk,
        "refillchange": refill.pk,
    }
    urls = [f"/admin/audit/{model}/add/" for model in [*objects, "importrow"]]
    for model, pk in objects.items():
        urls += [f"/admin/audit/{model}/{pk}/change/", f"/admin/audit/{model}/{pk}/delete/"]
        urls += [f"/admin/audit/{model}/{pk}/history/", f"/admin/audit/{model}/"]
    return urls


def test_nobody_edits_or_deletes_history_by_any_admin_path(admin_client, changes):
    before = {model: list(model.objects.values()) for model in (BalanceChange, ChangeBatch, RefillChange)}
    form = {"email": "x@example.com", "delta_credits": "1", "reason": "x", "post": "yes", "_save": "Save"}
    for url in audit_urls(changes):
        for verb in ("get", "post", "put", "patch", "delete"):
            response = getattr(admin_client, verb)(url, form if verb == "post" else None)
            if "/delete/" in url or "/add/" in url:
                assert response.status_code == 403, (verb, url)
            else:
                assert response.status_code in (200, 403, 405), (verb, url)
                assert b'name="_save"' not in response.content, (verb, url)
        bulk_delete = {"action": "delete_selected", "_selected_action": [changes["alice"].pk], "post": "yes"}
        admin_client.post(url, bulk_delete)
    after = {model: list(model.objects.values()) for model in (BalanceChange, ChangeBatch, RefillChange)}
    before[RefillChange] = after[RefillChange]  # created by audit_urls
    assert after == before


def test_a_malformed_object_id_in_a_url_is_not_an_error(admin_client, changes):
    response = admin_client.get("/admin/balances/balance/not-an-object-id/change/", follow=True)
    assert response.status_code == 200
    assert "not-an-object-id" in response.content.decode() and "exist" in response.content.decode()


def test_record_only_corrections_are_listed_but_not_counted_as_credit(viewer_client, changes):
    alice = changes["alice"]
    target = Target(ObjectId(alice.librechat_user_id), alice.email, 123)
    run_batch(open_batch(kind=Kind.RECORD, amount_credits=None, source="cli", actor="ops", targets=[target]))
    response = viewer_client.get(HISTORY, {"email": alice.email})
    assert listed(response) == [alice.email, alice.email]
    assert response.context["totals"]["credited"] == 2_000_000
