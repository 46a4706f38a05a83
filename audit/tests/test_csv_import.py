"""CSV top-ups in the admin: upload, a preview (read in the worker when large), confirm, one audited batch."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from ledger.models import BalanceChange, ChangeBatch, ImportFile, ImportRow
from librechat.mongo import librechat_db
from librechat.testing import create_user, credit_transactions, credits_of

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
IMPORT = "/admin/audit/importrow/import/"


@pytest.fixture
def people(mongo):
    return {"alice": create_user("alice@example.com", 100), "bob": create_user("bob@example.com")}


def upload(client, text: str, mode: str = "add"):
    """The page the upload lands on: the preview, or the progress while the worker reads the file."""
    csv_file = SimpleUploadedFile("topups.csv", text.encode(), content_type="text/csv")
    return client.post(IMPORT, {"import_file": csv_file, "mode": mode}, follow=True)


def text_of(response) -> str:
    """The page with its whitespace collapsed, as a browser shows it."""
    return " ".join(response.content.decode().split())


def confirm(client, preview, follow=False, **changed):
    data = {"mode": preview.context["upload"].mode, "reviewed": preview.context["reviewed"], **changed}
    return client.post(preview.request["PATH_INFO"], data, follow=follow)


def test_a_clean_file_previews_then_applies_as_one_batch(operator_client, people):
    preview = upload(operator_client, 'email,amount,reason\nALICE@example.com,1000,bonus\nbob@example.com,"2,000",\n')
    content = text_of(preview)
    assert preview.status_code == 200 and 'name="confirm"' in content
    assert "Total change <strong>3,000 credits (&lt; $0.01)</strong>" in content
    assert f'<a href="{IMPORT}" class="button cancel-link">Cancel</a>' in content
    assert credits_of(people["alice"]) == 100 and not ImportRow.objects.exists(), "the preview applies nothing"

    done = confirm(operator_client, preview)
    batch = ChangeBatch.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/admin/audit/changebatch/{batch.pk}/change/"
    assert (credits_of(people["alice"]), credits_of(people["bob"])) == (1100, 2000)
    assert (batch.source, batch.kind, batch.actor) == ("import", "add", "operator")
    assert sorted(batch.changes.values_list("reason", flat=True)) == ["", "bonus"]
    assert ImportRow.objects.count() == 2


def test_the_preview_shows_each_rows_balance_now_and_after(operator_client, people):
    preview = upload(operator_client, "email,amount\nalice@example.com,1000\nbob@example.com,2000\n")
    content = text_of(preview)
    assert "Mode: <strong>add credits</strong>" in content
    rows = [(row["line"], row["email"], row["balance_now"], row["after"]) for row in preview.context["preview"]["rows"]]
    assert rows == [(2, "alice@example.com", "100", "1,100"), (3, "bob@example.com", "no balance", "2,000")]


def test_confirming_twice_applies_once(operator_client, people):
    preview = upload(operator_client, "email,amount\nalice@example.com,1000\n")
    confirm(operator_client, preview)
    again = confirm(operator_client, preview)
    assert again.status_code == 302
    assert credits_of(people["alice"]) == 1100
    assert len(credit_transactions(people["alice"])) == 1


def test_operators_cannot_import_a_file_that_sets_balances(operator_client, people):
    response = upload(operator_client, "email,amount\nalice@example.com,5\n", mode="set")
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert credits_of(people["alice"]) == 100 and not ChangeBatch.objects.exists() and not ImportFile.objects.exists()


def test_set_mode_sets_each_balance(admin_client, people):
    confirm(admin_client, upload(admin_client, "email,amount\nalice@example.com,0\n", mode="set"))
    assert credits_of(people["alice"]) == 0
    assert credit_transactions(people["alice"])[0]["tokenValue"] == -100


def test_bad_rows_are_listed_with_their_line_and_nothing_can_be_confirmed(operator_client, people):
    text = (
        "email,amount\n"
        "ghost@example.com,100\n"
        "alice@example.com,1.5\n"
        "bob@example.com,0\n"
        "bob@example.com,5\n"
        "bob@example.com,5\n"
    )
    preview = upload(operator_client, text)
    content = text_of(preview)
    assert "line 2: No single LibreChat user has the email &#x27;ghost@example.com&#x27;" in content
    assert "line 3: Amount must be a whole number" in content and "line 4: Amount must be at least 1" in content
    assert "line 6: bob@example.com appears more than once" in content
    assert 'name="confirm"' not in content
    assert confirm(operator_client, preview).status_code == 302
    assert credits_of(people["alice"]) == 100 and credits_of(people["bob"]) is None
    assert not ChangeBatch.objects.exists() and not ImportRow.objects.exists()


def test_errors_name_the_files_own_lines_past_blank_lines(operator_client, people):
    content = text_of(upload(operator_client, "email,amount\n\nalice@example.com,5\n,,\nghost@example.com,5\n"))
    assert "line 5: No single LibreChat user has the email" in content


@pytest.mark.parametrize("text", ["", "name,value\nx,1\n", "email\nalice@example.com\n", "email,amount\n"])
def test_empty_or_wrong_files_say_what_is_wrong(operator_client, people, text):
    response = upload(operator_client, text)
    assert response.status_code == 200
    content = response.content.decode()
    messages = ["The file needs a header", "The file has no rows", "The submitted file is empty"]
    assert any(message in content for message in messages)
    assert 'name="confirm"' not in content and not ChangeBatch.objects.exists()


def test_a_file_that_is_not_utf8_is_refused_with_a_message(operator_client, people):
    csv_file = SimpleUploadedFile("topups.csv", "email,amount\nälice,5\n".encode("latin-1"), content_type="text/csv")
    response = operator_client.post(IMPORT, {"import_file": csv_file, "mode": "add"})
    assert response.status_code == 200 and "not UTF-8" in response.content.decode()
    assert not ImportFile.objects.exists()


def test_a_file_with_nul_bytes_is_refused_with_a_message(operator_client, people):
    csv_file = SimpleUploadedFile("topups.csv", b'email,amount\nalice@example.com,"\x00"\n', content_type="text/csv")
    response = operator_client.post(IMPORT, {"import_file": csv_file, "mode": "add"})
    assert response.status_code == 200 and "contains NUL bytes" in response.content.decode()
    assert not ImportFile.objects.exists()


def test_viewers_cannot_import_nor_see_a_preview(viewer_client, people):
    upload = ImportFile.objects.create(file_name="x.csv", text="email,amount\n", mode="add", actor="viewer")
    assert viewer_client.get(IMPORT).status_code == 403
    assert viewer_client.get(f"{IMPORT}sample.csv").status_code == 403
    assert viewer_client.get(f"{IMPORT}{upload.pk}/").status_code == 403


def test_uploading_the_same_file_again_resumes_its_batch_instead_of_crediting_twice(admin_client, people):
    text = "email,amount\nalice@example.com,1000\n"
    confirm(admin_client, upload(admin_client, text))
    assert confirm(admin_client, upload(admin_client, text)).status_code == 302
    assert credits_of(people["alice"]) == 1100 and len(credit_transactions(people["alice"])) == 1
    assert ChangeBatch.objects.count() == 1
    confirm(admin_client, upload(admin_client, text, mode="set"))
    assert credits_of(people["alice"]) == 1000 and ChangeBatch.objects.count() == 2, "another mode, another batch"


def test_the_same_top_up_saved_with_other_spelling_is_the_same_batch(operator_client, people):
    confirm(operator_client, upload(operator_client, "email,amount\nalice@example.com,1000\nbob@example.com,5\n"))
    resaved = 'Email , Amount ,reason\n bob@example.com ,5,\n ALICE@Example.com , "1,000" ,\n'
    preview = upload(operator_client, resaved)
    assert preview.context["upload"].batch_id == ChangeBatch.objects.get().batch_id
    confirm(operator_client, preview)
    assert credits_of(people["alice"]) == 1100 and len(credit_transactions(people["alice"])) == 1
    assert ChangeBatch.objects.count() == 1


def test_a_re_upload_says_per_row_and_in_total_what_was_already_applied(operator_client, people):
    librechat_db().balances.insert_one({"user": people["bob"], "tokenCredits": "broken"})
    text = "email,amount\nalice@example.com,1000\nbob@example.com,2000\n"
    confirm(operator_client, upload(operator_client, text))
    assert (credits_of(people["alice"]), credits_of(people["bob"])) == (1100, "broken"), "bob's row failed"
    applied_at = BalanceChange.objects.get(email="alice@example.com").updated_at.strftime("%Y-%m-%d %H:%M")

    librechat_db().balances.update_one({"user": people["bob"]}, {"$set": {"tokenCredits": 10}})
    preview = upload(operator_client, text)
    content = text_of(preview)
    assert f"1 of them already applied (from an earlier upload of the same rows, on {applied_at} UTC)" in content
    assert "1,000 credits (&lt; $0.01); they will not change again" in content
    assert "Still to change: 1 row, total change <strong>2,000 credits (&lt; $0.01)</strong>" in content
    assert f"<td>already applied on {applied_at} UTC</td>" in content and '<td class="numeric">2,010</td>' in content

    confirm(operator_client, preview)
    assert (credits_of(people["alice"]), credits_of(people["bob"])) == (1100, 2010)
    again = text_of(upload(operator_client, text))
    assert "2 of them already applied" in again and "Nothing is left to change" in again
    assert 'name="confirm"' not in again


def test_the_preview_warns_of_another_recent_import_giving_the_same_amounts(operator_client, people):
    confirm(operator_client, upload(operator_client, "email,amount,reason\nalice@example.com,1000,November\n"))
    earlier = ChangeBatch.objects.get()

    preview = upload(operator_client, "email,amount,reason\nalice@example.com,1000,November bonus\n")
    content = text_of(preview)
    when = earlier.created_at.strftime("%Y-%m-%d %H:%M UTC")
    assert "1 of these rows gave the same user the same amount in the last 7 days" in content
    assert f"{earlier.batch_id}</a> on {when} by operator" in content

    ChangeBatch.objects.update(created_at=timezone.now() - timedelta(days=8))
    BalanceChange.objects.update(created_at=timezone.now() - timedelta(days=8))
    assert "same amount" not in text_of(upload(operator_client, "email,amount\nalice@example.com,1000\n"))


def test_a_mode_flipped_after_the_preview_is_refused(operator_client, people):
    preview = upload(operator_client, "email,amount\nalice@example.com,5\n", mode="add")
    response = confirm(operator_client, preview, follow=True, mode="set")
    assert response.status_code == 200 and "differs from the preview" in response.content.decode()
    assert credits_of(people["alice"]) == 100 and not ChangeBatch.objects.exists()
    forged = confirm(operator_client, preview, reviewed="forged")
    assert forged.status_code == 302 and credits_of(people["alice"]) == 100 and not ChangeBatch.objects.exists()


def test_the_import_page_lists_only_the_columns_read_and_links_a_sample(operator_client, people):
    page = operator_client.get(IMPORT).content.decode()
    assert "<code>email</code>" in page and "<code>amount</code>" in page and "<code>reason</code>" in page
    assert "balance now" not in page.lower() and "after" not in page.lower()
    assert 'href="/admin/audit/importrow/import/sample.csv"' in page

    sample = operator_client.get(f"{IMPORT}sample.csv")
    assert sample.status_code == 200 and sample["Content-Type"].startswith("text/csv")
    preview = upload(operator_client, sample.content.decode())
    assert preview.context["upload"].status == "ready" and preview.context["preview"]["row_count"] == 2


@override_settings(BACKGROUND_BATCH_MIN_USERS=3)
@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_a_large_file_is_read_and_applied_in_the_worker_with_a_progress_page(operator_client, mongo):
    users = [create_user(f"u{i}@example.com", 0) for i in range(3)]
    text = "email,amount\n" + "".join(f"u{i}@example.com,{i + 1}000\n" for i in range(3))
    waiting = upload(operator_client, text)
    content = text_of(waiting)
    assert "Waiting for the worker" in content and '<meta http-equiv="refresh" content="2">' in content
    assert waiting.context["upload"].status == "queued"

    call_command("ledger_worker", batch=True, verbosity=0)
    preview = operator_client.get(waiting.request["PATH_INFO"])
    content = text_of(preview)
    assert "Total change <strong>6,000 credits (&lt; $0.01)</strong>" in content and "http-equiv" not in content
    assert [row["email"] for row in preview.context["preview"]["rows"]] == [f"u{i}@example.com" for i in range(3)]

    assert confirm(operator_client, preview).status_code == 302
    assert [credits_of(user) for user in users] == [0, 0, 0], "nothing is applied in the request"
    call_command("ledger_worker", batch=True, verbosity=0)
    assert [credits_of(user) for user in users] == [1000, 2000, 3000]
    batch = ChangeBatch.objects.get()
    done = operator_client.get(waiting.request["PATH_INFO"])
    assert done.status_code == 302 and done["Location"] == f"/admin/audit/changebatch/{batch.pk}/change/"
    assert ImportRow.objects.filter(batch_id=batch.batch_id).count() == 3


def test_the_csv_import_is_offered_on_the_balances_list(operator_client, people):
    # Its rows are an internal (under "System" on the index); the import itself starts from the balances.
    content = operator_client.get("/admin/balances/balance/").content.decode()
    assert 'href="/admin/audit/importrow/import/"' in content


@override_settings(BACKGROUND_BATCH_MIN_USERS=1)
@pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
def test_mongo_gone_while_the_worker_reads_the_file_is_a_message_not_a_stuck_page(operator_client, people, request):
    waiting = upload(operator_client, "email,amount\nalice@example.com,5\n")
    request.getfixturevalue("unreachable_mongo")
    call_command("ledger_worker", batch=True, verbosity=0)
    page = operator_client.get(waiting.request["PATH_INFO"])
    content = text_of(page)
    assert page.status_code == 200 and "Cannot reach LibreChat&#x27;s MongoDB" in content
    assert "http-equiv" not in content and ImportFile.objects.get().status == "invalid"
