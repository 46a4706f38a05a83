"""`manage.py policies` and `policy_scheduler`: list, preview, run, export and import."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from librechat.testing import create_user, credit_transactions, credits_of
from policies.models import Policy, PolicyRun
from policies.policy_file import export_policies
from policies.tests.helpers import make_policy

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])

AT = "2026-11-15T12:00:00+00:00"


def policies(*arguments: str) -> str:
    out = StringIO()
    call_command("policies", *arguments, stdout=out)
    return out.getvalue()


@pytest.fixture
def alice(mongo):
    return create_user("alice@example.com", 1_000_000)


def test_list_shows_each_policy_with_its_members_and_next_runs(alice, mongo):
    create_user("root@example.com", 0, role="ADMIN")
    make_policy("Students", priority=10)
    make_policy("Admins", priority=20, roles="ADMIN", active=False)
    lines = policies("list").splitlines()
    assert lines[0].startswith("  10  Students (active): top up to 5,000,000, monthly on day 1 at 00:00; 1 members")
    assert "Admins (paused)" in lines[1] and "no members while paused" in lines[1]


def test_preview_shows_before_after_and_the_total_and_changes_nothing(alice):
    policy = make_policy(action="reset", amount_credits=2_000_000)
    output = policies("preview", "Students", "--at", AT)
    assert f"batch policy-{policy.pk}-2026-11-01T00:00:00Z" in output
    assert "alice@example.com: 1,000,000 -> 2,000,000" in output
    assert "1 users, 1,000,000 credits ($1.00) in total; 0 lowered; 0 refused" in output
    assert credits_of(alice) == 1_000_000


def test_run_applies_the_due_period_once(alice):
    make_policy(action="add", amount_credits=1_000_000)
    assert "1 applied" in policies("run", "Students", "--at", AT)
    assert policies("run", "--at", AT).strip() == "Nothing is due."
    assert credits_of(alice) == 2_000_000 and len(credit_transactions(alice)) == 1


def test_run_dry_run_changes_nothing(alice):
    make_policy(action="add", amount_credits=1_000_000)
    output = policies("run", "--at", AT, "--dry-run")
    assert "would apply policy-" in output and "Dry run: nothing was changed." in output
    assert credits_of(alice) == 1_000_000 and PolicyRun.objects.count() == 0


def test_run_exits_2_when_a_balance_is_refused(mongo):
    create_user("eve@example.com", "lots")
    make_policy(action="add", amount_credits=1_000_000)
    with pytest.raises(CommandError) as raised:
        policies("run", "--at", AT)
    assert raised.value.returncode == 2


def test_an_unknown_policy_is_exit_1(mongo):
    with pytest.raises(CommandError, match="No policy is named 'Nobody'") as raised:
        policies("preview", "Nobody")
    assert raised.value.returncode == 1


def test_export_then_import_is_unchanged_and_import_is_idempotent(mongo, tmp_path):
    make_policy("Students", action="add", amount_credits=1_000_000, cap_credits=5_000_000, groups="Physics")
    make_policy("Free", action="reset", amount_credits=500_000, frequency="weekly", weekday=4, time_of_day="06:30")
    path = tmp_path / "policies.yaml"
    path.write_text(export_policies())
    assert policies("import", str(path)).splitlines()[:2] == ["Students: unchanged", "Free: unchanged"]


def test_import_shows_the_differences_and_writes_only_with_apply(mongo, tmp_path):
    make_policy("Students", action="top_up_to", amount_credits=1_000_000)
    path = tmp_path / "policies.yaml"
    path.write_text(
        export_policies().replace("amount_credits: 1000000", "amount_credits: 3000000")
        + "- name: Staff\n  who: {email_domains: [staff.example.com]}\n"
        + "  what: {action: add, amount_credits: 100}\n  when: {frequency: monthly, month_day: last}\n"
    )
    output = policies("import", str(path))
    assert "Students: changed\n  what.amount_credits: 1000000 -> 3000000" in output and "Staff: new" in output
    assert Policy.objects.get(name="Students").amount_credits == 1_000_000
    assert not Policy.objects.filter(name="Staff").exists()
    policies("import", str(path), "--apply")
    assert Policy.objects.get(name="Students").amount_credits == 3_000_000
    assert Policy.objects.get(name="Staff").month_day == Policy.LAST_DAY
    assert policies("import", str(path)).splitlines()[:2] == ["Students: unchanged", "Staff: unchanged"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("policies: [", "Not valid YAML"),
        ("- name: x", "a mapping with a 'policies' list"),
        ("policies:\n- name: A\n  what: {action: add, amount_credits: -5}\n  who: {roles: [USER]}", "amount_credits"),
        ("policies:\n- name: A\n  what: {action: add, amount_credits: 5}", "Say who the policy reaches"),
        (
            "policies:\n- name: A\n  who: {roles: [USER]}\n  what: {action: add, amount_credits: 5}\n"
            "  when: {time: 12:30}",
            "must be quoted",
        ),
        ("policies:\n- name: A\n  who: {roles: USER}\n  what: {action: add, amount_credits: 5}", "list of texts"),
        ("policies:\n- name: A\n  who: {roles: [USER]}\n  what: {action: give, amount_credits: 5}", "action"),
    ],
)
def test_import_refuses_a_bad_file_with_a_clear_message_and_writes_nothing(mongo, tmp_path, text, message):
    path = tmp_path / "policies.yaml"
    path.write_text(text)
    with pytest.raises(CommandError, match=message) as raised:
        policies("import", str(path), "--apply")
    assert raised.value.returncode == 1 and Policy.objects.count() == 0


def test_the_scheduler_applies_what_is_due_once(alice):
    make_policy(action="add", amount_credits=1_000_000)
    out = StringIO()
    call_command("policy_scheduler", "--once", stdout=out)
    call_command("policy_scheduler", "--once", stdout=out)
    assert out.getvalue().count("1 applied") == 1 and credits_of(alice) == 2_000_000


def test_members_lists_each_users_policy_as_csv_with_formulas_escaped(mongo):
    create_user("alice@uni.edu", 0)
    create_user("=cmd@example.com", 0)
    make_policy("Students", email_domains="uni.edu", roles="")
    assert policies("members") == "email,policy\nalice@uni.edu,Students\n'=cmd@example.com,\n"
    assert policies("members", "Students") == "email,policy\nalice@uni.edu,Students\n"
