import csv
import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command, load_command_class

from librechat import documents
from librechat.testing import create_user

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


@pytest.fixture
def people(mongo):
    alice = create_user("alice@example.com", 3_000_000, name="Alice")
    bob = create_user("bob@example.com", 500_000, name="Bob", role="ADMIN")
    carol = create_user("carol@example.com", 9_000_000, name="Carol")
    create_user("nobody@example.com", name="Nobody")
    mongo.balances.insert_one({"user": carol, "tokenCredits": 1})  # a later duplicate: ignored
    for token_type, tokens, rate in (("prompt", 1000, 2.5), ("completion", 200, 10.0)):
        mongo.transactions.insert_one(
            documents.spending_transaction(
                alice,
                token_type=token_type,
                tokens=tokens,
                rate=rate,
                model="gpt-4o",
                conversation_id="c",
                # An hour before Bob's row: MongoDB keeps milliseconds, so "now" twice can tie.
                created_at=documents.timezone.now() - timedelta(hours=1),
            )
        )
    mongo.transactions.insert_one(documents.credits_transaction(bob, 100))
    return {"alice": alice, "bob": bob, "carol": carol}


def listing(*args) -> str:
    out = io.StringIO()
    call_command("list_balances", *args, stdout=out)
    return out.getvalue()


def emails(output: str) -> list[str]:
    return [row["email"] for row in json.loads(output)]


def test_json_parses_back_with_credits_usd_activity_and_tokens(people):
    rows = json.loads(listing("--format", "json"))
    assert [row["email"] for row in rows] == ["carol@example.com", "alice@example.com", "bob@example.com"]
    alice = rows[1]
    assert (alice["credits"], alice["usd"], alice["tokens_used"]) == (3_000_000, "3.00", 1200)
    assert alice["last_transaction"] is not None
    assert rows[2]["tokens_used"] == 0, "credit rows are not usage"


def test_json_is_one_user_a_line_without_blank_lines(people):
    lines = listing("--format", "json").splitlines()
    assert lines[0] == "[" and lines[-1] == "]" and len(lines) == 2 + 3
    assert [json.loads(line.removesuffix(","))["email"] for line in lines[1:-1]] == [
        "carol@example.com",
        "alice@example.com",
        "bob@example.com",
    ]


def test_csv_parses_back(people):
    rows = list(csv.DictReader(io.StringIO(listing("--format", "csv", "--sort", "email"))))
    assert [row["email"] for row in rows] == ["alice@example.com", "bob@example.com", "carol@example.com"]
    assert rows[2]["credits"] == "9000000"


def test_filters(people):
    assert emails(listing("--format", "json", "--below", "4000000")) == ["alice@example.com", "bob@example.com"]
    assert emails(listing("--format", "json", "--above", "1000000", "--below", "5000000")) == ["alice@example.com"]
    assert emails(listing("--format", "json", "--role", "ADMIN")) == ["bob@example.com"]
    assert emails(listing("--format", "json", "--no-balance")) == ["nobody@example.com"]


def test_sort_by_last_activity_puts_recent_users_first(people):
    assert emails(listing("--format", "json", "--sort", "last-activity"))[:2] == [
        "bob@example.com",
        "alice@example.com",
    ]


def test_the_table_has_a_header_and_a_line_per_user(people):
    lines = listing().splitlines()
    assert lines[0].split()[:4] == ["email", "name", "role", "credits"]
    assert len(lines) == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--below", "10"], "No users matched"),
        (["--no-balance", "--below", "5"], "cannot be combined"),
        (["--above", "5", "--below", "5"], "--above must be lower"),
    ],
)
def test_bad_or_empty_selections_exit_1(people, args, message):
    with pytest.raises(CommandError, match=message) as raised:
        listing(*args)
    assert raised.value.returncode == 1


def hold(amount: int, minutes: int) -> dict:
    return {"id": "r1", "amount": amount, "expiresAt": documents.timezone.now() + timedelta(minutes=minutes)}


def test_below_and_above_compare_available_credits_not_stored_ones(mongo):
    # 3M stored, 2.5M held by a request in flight: 500k available.
    create_user("held@example.com", 3_000_000, reservations=[hold(2_500_000, 10)], reservedCredits=2_500_000)
    # A crashed request's hold has expired: all 3M are available again.
    create_user("expired@example.com", 3_000_000, reservations=[hold(2_500_000, -10)], reservedCredits=2_500_000)
    create_user("plain@example.com", 800_000)
    assert emails(listing("--format", "json", "--below", "1000000")) == ["held@example.com", "plain@example.com"]
    assert emails(listing("--format", "json", "--above", "1000000")) == ["expired@example.com"]


def test_the_help_says_below_compares_available_credits():
    parser = load_command_class("balances", "list_balances").create_parser("manage.py", "list_balances")
    assert "unexpired holds" in " ".join(parser.format_help().split())


def test_tenant_lists_only_that_tenants_users_and_shows_their_tenant(mongo):
    create_user("a1@example.com", 3_000, tenant_id="acme")
    create_user("a2@example.com", tenant_id="acme")
    create_user("g1@example.com", 2_000, tenant_id="globex")
    create_user("plain@example.com", 1_000)
    rows = json.loads(listing("--format", "json", "--tenant", "acme"))
    assert [(row["email"], row["tenant"]) for row in rows] == [("a1@example.com", "acme")]
    assert emails(listing("--format", "json", "--tenant", "acme", "--sort", "email")) == ["a1@example.com"]
    assert emails(listing("--format", "json", "--tenant", "acme", "--no-balance")) == ["a2@example.com"]
    assert emails(listing("--format", "json", "--tenant", "globex", "--sort", "last-activity")) == ["g1@example.com"]


def test_installs_without_tenants_have_no_tenant_column(people):
    assert "tenant" not in json.loads(listing("--format", "json"))[0]
