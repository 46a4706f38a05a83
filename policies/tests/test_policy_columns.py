"""Each user's policy in the balances list, the users list, the user's page and `list_balances`, with a filter."""

import io
import json
import re

import pytest
from django.core.management import CommandError, call_command

from balances.tests.test_admin_actions import review_and_apply
from librechat.testing import create_user, credits_of
from policies.models import Policy
from policies.tests.helpers import make_policy

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])

BALANCES = "/admin/balances/balance/"
USERS = "/admin/balances/librechatuser/"


@pytest.fixture
def people(mongo):
    """Alice is named by both policies and belongs to the first by priority; root by none."""
    users = {
        "alice": create_user("alice@uni.edu", 3_000_000),
        "bob": create_user("bob@example.com", 2_000_000),
        "root": create_user("root@example.com", 1_000_000, role="ADMIN"),
    }
    make_policy("Users", priority=20, roles="USER")
    make_policy("Students", priority=10, roles="", email_domains="uni.edu")
    make_policy("Paused", priority=1, roles="USER\nADMIN", active=False)
    return users


def policy_column(response) -> dict[str, str]:
    """{email: the policy cell's text} for the list's rows."""
    rows = response.context["cl"].result_list
    cells = re.findall(r'<td class="field-policy">(.*?)</td>', response.content.decode())
    emails = [getattr(row, "user", row).email for row in rows]
    return dict(zip(emails, (re.sub(r"<[^>]+>", "", cell) for cell in cells), strict=True))


@pytest.mark.parametrize("url", [BALANCES, USERS])
def test_the_lists_show_each_users_policy_by_priority(operator_client, people, url):
    response = operator_client.get(url)
    assert response.status_code == 200
    assert policy_column(response) == {
        "alice@uni.edu": "Students",
        "bob@example.com": "Users",
        "root@example.com": "none",
    }
    students = Policy.objects.get(name="Students")
    assert f'href="/admin/policies/policy/{students.pk}/change/">Students</a>' in response.content.decode()


@pytest.mark.parametrize("url", [BALANCES, USERS])
def test_the_policy_filter_shows_the_users_the_column_gives_that_policy(operator_client, people, url):
    for choice, expected in [
        ("Students", {"alice@uni.edu": "Students"}),
        ("Users", {"bob@example.com": "Users"}),
        ("none", {"root@example.com": "none"}),
    ]:
        response = operator_client.get(url, {"policy": choice})
        assert response.status_code == 200
        assert policy_column(response) == expected, choice


def test_the_filter_offers_each_active_policy_and_none(operator_client, people):
    content = operator_client.get(BALANCES).content.decode()
    choices = re.findall(r'href="\?policy=([^"&]+)"', content)
    assert choices == ["Students", "Users", "none"]


def test_a_paused_or_unknown_policy_in_the_address_shows_no_rows_and_says_why(operator_client, people):
    response = operator_client.get(BALANCES, {"policy": "Paused"}, follow=True)
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
    assert "not one of this filter" in response.content.decode()


def test_the_users_page_shows_the_policy_with_a_link_to_it(operator_client, people):
    students = Policy.objects.get(name="Students")
    response = operator_client.get(f"{USERS}{people['alice']}/change/")
    assert response.status_code == 200
    link = f'<a href="/admin/policies/policy/{students.pk}/change/">Students</a>'
    assert f"<strong>Policy:</strong> {link}" in response.content.decode()
    response = operator_client.get(f"{USERS}{people['root']}/change/")
    assert "<strong>Policy:</strong> none" in response.content.decode()


def test_a_top_up_of_all_users_matching_the_policy_filter_reaches_exactly_that_policys_users(admin_client, people):
    url = f"{USERS}?policy=Students"
    review_and_apply(admin_client, url, "top_up", [people["alice"]], amount_preset="1000000", select_across="1")
    assert [credits_of(people[name]) for name in ["alice", "bob", "root"]] == [4_000_000, 2_000_000, 1_000_000]


def listing(*args) -> list[dict]:
    out = io.StringIO()
    call_command("list_balances", "--format", "json", *args, stdout=out)
    return json.loads(out.getvalue())


def test_list_balances_shows_each_users_policy(people):
    rows = listing()
    assert {row["email"]: row["policy"] for row in rows} == {
        "alice@uni.edu": "Students",
        "bob@example.com": "Users",
        "root@example.com": "none",
    }


def test_list_balances_filters_by_policy_as_its_column_says(people):
    assert [row["email"] for row in listing("--policy", "Students")] == ["alice@uni.edu"]
    assert [row["email"] for row in listing("--policy", "Users", "--sort", "email")] == ["bob@example.com"]
    assert [(row["email"], row["policy"]) for row in listing("--policy", "none")] == [("root@example.com", "none")]


def test_list_balances_refuses_a_policy_that_is_not_active(people):
    with pytest.raises(CommandError, match="No active policy named 'Paused'"):
        listing("--policy", "Paused")
