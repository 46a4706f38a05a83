"""CSV top-ups through django-import-export: a preview first, then one audited batch."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ledger.models import ChangeBatch, ImportRow
from librechat.testing import create_user, credit_transactions, credits_of

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
IMPORT = "/admin/audit/importrow/import/"
PROCESS = "/admin/audit/importrow/process_import/"


@pytest.fixture
def people(mongo):
    return {"alice": create_user("alice@example.com", 100), "bob": create_user("bob@example.com")}


def upload(client, text: str, mode: str = "add"):
    csv_file = SimpleUploadedFile("topups.csv", text.encode(), content_type="text/csv")
    return client.post(IMPORT, {"import_file": csv_file, "format": "0", "resource": "0", "mode": mode})


def confirm(client, preview):
    form = preview.context["confirm_form"]
    return client.post(PROCESS, {name: form[name].value() for name in form.fields})


def test_a_clean_file_previews_then_applies_as_one_batch(operator_client, people):
    preview = upload(operator_client, 'email,amount,reason\nALICE@example.com,1000,bonus\nbob@example.com,"2,000",\n')
    assert preview.status_code == 200 and preview.context["confirm_form"] is not None
    assert credits_of(people["alice"]) == 100 and not ImportRow.objects.exists(), "the preview applies nothing"

    done = confirm(operator_client, preview)
    assert done.status_code == 302
    assert (credits_of(people["alice"]), credits_of(people["bob"])) == (1100, 2000)
    batch = ChangeBatch.objects.get()
    assert (batch.source, batch.kind, batch.actor) == ("import", "add", "operator")
    assert sorted(batch.changes.values_list("reason", flat=True)) == ["", "bonus"]
    assert ImportRow.objects.count() == 2


def test_confirming_twice_applies_once(operator_client, people):
    preview = upload(operator_client, "email,amount\nalice@example.com,1000\n")
    confirm(operator_client, preview)
    again = confirm(operator_client, preview)
    assert again.status_code == 302
    assert credits_of(people["alice"]) == 1100
    assert len(credit_transactions(people["alice"])) == 1


def test_operators_cannot_import_a_file_that_sets_balances(operator_client, people):
    preview = upload(operator_client, "email,amount\nalice@example.com,5\n", mode="set")
    assert preview.status_code == 200 and preview.context.get("confirm_form") is None
    assert "Select a valid choice" in preview.content.decode()
    assert credits_of(people["alice"]) == 100 and not ChangeBatch.objects.exists()


def test_set_mode_sets_each_balance(admin_client, people):
    confirm(admin_client, upload(admin_client, "email,amount\nalice@example.com,0\n", mode="set"))
    assert credits_of(people["alice"]) == 0
    assert credit_transactions(people["alice"])[0]["tokenValue"] == -100


def test_bad_rows_are_listed_and_nothing_can_be_confirmed(operator_client, people):
    text = (
        "email,amount\n"
        "ghost@example.com,100\n"
        "alice@example.com,1.5\n"
        "bob@example.com,0\n"
        "bob@example.com,5\n"
        "bob@example.com,5\n"
    )
    preview = upload(operator_client, text)
    content = preview.content.decode()
    assert "No single LibreChat user has the email &#x27;ghost@example.com&#x27;" in content
    assert "whole number" in content and "at least 1" in content
    assert "appears more than once" in content
    assert preview.context.get("confirm_form") is None
    assert credits_of(people["alice"]) == 100 and credits_of(people["bob"]) is None
    assert not ChangeBatch.objects.exists() and not ImportRow.objects.exists()


@pytest.mark.parametrize("text", ["", "name,value\nx,1\n", "email\nalice@example.com\n"])
def test_empty_or_wrong_files_say_what_is_wrong(operator_client, people, text):
    response = upload(operator_client, text)
    assert response.status_code == 200
    assert response.context.get("confirm_form") is None
    assert not ChangeBatch.objects.exists()


def test_viewers_cannot_import(viewer_client, people):
    assert viewer_client.get(IMPORT).status_code == 403


def test_uploading_the_same_file_again_resumes_its_batch_instead_of_crediting_twice(admin_client, people):
    text = "email,amount\nalice@example.com,1000\n"
    confirm(admin_client, upload(admin_client, text))
    done = confirm(admin_client, upload(admin_client, text))
    assert done.status_code == 302
    assert credits_of(people["alice"]) == 1100 and len(credit_transactions(people["alice"])) == 1
    assert ChangeBatch.objects.count() == 1
    confirm(admin_client, upload(admin_client, text, mode="set"))
    assert credits_of(people["alice"]) == 1000 and ChangeBatch.objects.count() == 2, "another mode, another batch"


def test_a_mode_flipped_after_the_preview_is_refused(operator_client, people):
    preview = upload(operator_client, "email,amount\nalice@example.com,5\n", mode="add")
    form = preview.context["confirm_form"]
    data = {name: form[name].value() for name in form.fields}
    response = operator_client.post(PROCESS, {**data, "mode": "set"}, follow=True)
    assert response.status_code == 200
    assert "differs from the preview" in response.content.decode()
    assert credits_of(people["alice"]) == 100 and not ChangeBatch.objects.exists()


def test_the_preview_says_the_mode_each_rows_result_and_the_total(operator_client, people):
    preview = upload(operator_client, "email,amount\nalice@example.com,1000\nbob@example.com,2000\n")
    content = preview.content.decode()
    assert "Mode: <strong>add credits</strong>" in content
    assert "total change <strong>3,000 credits ($0.00)</strong>" in content
    rows = preview.context["result"].valid_rows()
    assert [row.diff[-2:] for row in rows] == [
        ['<ins style="background:#e6ffe6;">100</ins>', '<ins style="background:#e6ffe6;">1,100</ins>'],
        ['<ins style="background:#e6ffe6;">no balance</ins>', '<ins style="background:#e6ffe6;">2,000</ins>'],
    ]
    assert "<td>2</td>" in content and "<td>3</td>" in content, "the file's own line numbers"


def test_errors_are_shown_inline_with_the_files_line_numbers(operator_client, people):
    preview = upload(operator_client, "email,amount\nalice@example.com,5\nghost@example.com,5\n")
    content = preview.content.decode()
    assert "<td>3</td>" in content and "No single LibreChat user has the email" in content


def test_csv_imports_are_listed_under_balances_on_the_index(operator_client, people):
    apps = {
        app["app_label"]: [m["object_name"] for m in app["models"]]
        for app in operator_client.get("/admin/").context["app_list"]
    }
    assert "ImportRow" in apps["balances"] and "ImportRow" not in apps.get("audit", [])
