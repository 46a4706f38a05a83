import csv
import io

import openpyxl
import pytest

from balances.resources import BalanceExportResource
from librechat.testing import create_user

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
EXPORT = "/admin/balances/balance/export/"


def export(client, query: str, file_format: str):
    data = {
        "format": file_format,
        "resource": "0",
        **{f"balanceexportresource_{name}": "on" for name in BalanceExportResource.Meta.export_order},
    }
    return client.post(f"{EXPORT}?{query}", data)


@pytest.fixture
def people(mongo):
    return {
        "alice": create_user(
            "alice@example.com",
            2_500_000,
            name="Alice A",
            autoRefillEnabled=True,
            refillIntervalValue=30,
            refillIntervalUnit="days",
            refillAmount=10_000,
        ),
        "bob": create_user("bob@example.com", 0, name="Bob B"),
    }


def test_it_exports_the_filtered_list_as_csv_with_text_ids(viewer_client, people):
    response = export(viewer_client, "credits=below_5000000&q=alice", "0")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 1
    row = rows[0]
    assert row["user_id"] == str(people["alice"]) and len(row["balance_id"]) == 24
    assert (row["email"], row["credits"], row["usd"]) == ("alice@example.com", "2500000", "2.50")
    assert row["refill_every"] == "30 days"


def test_it_exports_xlsx(viewer_client, people):
    response = export(viewer_client, "", "1")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    header, *rows = list(sheet.values)
    assert "email" in header and len(rows) == 2


def test_it_offers_only_csv_and_xlsx(viewer_client, people):
    choices = viewer_client.get(EXPORT).context["form"].fields["format"].choices
    assert [label for _, label in choices if label != "---"] == ["csv", "xlsx"]
