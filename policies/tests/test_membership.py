"""Who a policy reaches: role, group (user ids and Entra ids), domain, email list, everyone else, priority."""

import pytest
from bson import ObjectId
from django.core.exceptions import ValidationError

from librechat.mongo import librechat_db
from librechat.testing import create_user
from policies.membership import NO_POLICY, Membership, members_of, policies_of, users_filter_named
from policies.models import Policy
from policies.tests.helpers import make_policy

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])


@pytest.fixture
def groups(mongo):
    mongo.groups.delete_many({})
    yield mongo.groups
    mongo.groups.delete_many({})


def emails(policy) -> list[str]:
    return [target.email for target in members_of(policy)]


def test_a_role_reaches_its_users(mongo):
    create_user("alice@example.com", 0)
    create_user("root@example.com", 0, role="ADMIN")
    assert emails(make_policy(roles="ADMIN")) == ["root@example.com"]


def test_a_group_reaches_members_stored_as_strings_or_object_ids(mongo, groups):
    alice = create_user("alice@example.com", 0)
    bob = create_user("bob@example.com", 0)
    create_user("carol@example.com", 0)
    groups.insert_one({"name": "Physics", "source": "local", "memberIds": [str(alice), bob]})
    assert emails(make_policy(roles="", groups="Physics")) == ["alice@example.com", "bob@example.com"]


def test_an_entra_group_reaches_users_by_their_id_on_the_source(mongo, groups):
    alice = create_user("alice@example.com", 0)
    create_user("bob@example.com", 0)
    mongo.users.update_one({"_id": alice}, {"$set": {"idOnTheSource": "entra-oid-1"}})
    groups.insert_one({"name": "Staff", "source": "entra", "idOnTheSource": "g1", "memberIds": ["entra-oid-1"]})
    assert emails(make_policy(roles="", groups="Staff")) == ["alice@example.com"]


def test_a_group_with_odd_member_ids_reaches_nobody_and_breaks_nothing(mongo, groups):
    create_user("alice@example.com", 0)
    groups.insert_one({"name": "Odd", "memberIds": "not a list"})
    assert emails(make_policy(roles="", groups="Odd")) == []


def test_a_domain_and_an_email_list_match_whatever_the_case(mongo):
    create_user("alice@Uni.edu", 0)
    create_user("bob@example.com", 0)
    create_user("carol@example.com", 0)
    policy = make_policy(roles="", email_domains="@UNI.EDU", emails="Carol@Example.com")
    assert emails(policy) == ["alice@uni.edu", "carol@example.com"]


def test_a_user_belongs_to_the_first_active_policy_by_priority(mongo):
    alice = create_user("alice@uni.edu", 0)
    bob = create_user("bob@example.com", 0)
    students = make_policy("Students", priority=10, email_domains="uni.edu", roles="")
    everyone = make_policy("Users", priority=20, roles="USER")
    assert emails(students) == ["alice@uni.edu"] and emails(everyone) == ["bob@example.com"]
    students.active = False
    students.save()
    assert policies_of([alice, bob]) == {alice: everyone, bob: everyone}


def test_everyone_else_takes_the_users_no_policy_names_whatever_its_priority(mongo):
    create_user("alice@uni.edu", 0)
    create_user("bob@example.com", 0)
    default = make_policy("Default", priority=1, roles="", everyone_else=True)
    students = make_policy("Students", priority=50, roles="", email_domains="uni.edu")
    assert emails(default) == ["bob@example.com"] and emails(students) == ["alice@uni.edu"]


def test_a_user_no_policy_reaches_has_none(mongo):
    alice = create_user("alice@example.com", 0)
    make_policy(roles="ADMIN")
    assert policies_of([alice, ObjectId()]) == {alice: None}


def filtered(users_filter: dict) -> set:
    return {user["_id"] for user in librechat_db().users.find(users_filter, {"_id": 1})}


def test_each_policys_users_filter_finds_exactly_the_users_it_reaches(mongo, groups):
    """The filter lists filter by, against the membership that runs and columns use, on odd users too."""
    users = [
        create_user("alice@uni.edu", 0),
        create_user("admin@uni.edu", 0, role="ADMIN"),
        create_user("bob@sub.uni.edu", 0),
        create_user("carol@example.com", 0),
        create_user("dave@example.com", 0, role="ADMIN"),
        create_user("erin@example.org", 0),
        create_user("frank@example.org", 0),
        create_user("grace@example.net", 0),
    ]
    odd = [
        {"email": "MIXED@Uni.Edu", "role": "USER"},
        {"email": "uni.edu", "role": "GUEST"},
        {"email": "x@uni.edu@evil.com", "role": "GUEST"},
        {"role": "GUEST"},
        {"email": None, "role": None, "idOnTheSource": "entra-1"},
        {"email": "dot@uniXedu", "role": "GUEST"},
    ]
    users += mongo.users.insert_many(odd).inserted_ids
    groups.insert_one({"name": "Staff", "memberIds": [str(users[5]), users[6], "entra-1", "not-an-id"]})
    make_policy("Admins", priority=5, roles="ADMIN")
    make_policy("Students", priority=10, roles="", email_domains="uni.edu\n@")
    make_policy("Staff", priority=20, roles="", groups="Staff", emails="CAROL@example.com\ndave@example.com")
    make_policy("Rest", priority=1, roles="GUEST", everyone_else=True)
    make_policy("Paused", priority=0, roles="USER", active=False)

    found = policies_of(users)
    membership = Membership()
    for policy in [*Policy.objects.filter(active=True), None]:
        expected = {user_id for user_id, belongs in found.items() if belongs == policy}
        assert filtered(membership.users_filter(policy)) == expected, policy
    assert [found[user].name for user in users[:4]] == ["Students", "Admins", "Rest", "Staff"]
    assert [found[user].name for user in users[-6:]] == ["Students", "Rest", "Rest", "Rest", "Staff", "Rest"]


def test_without_an_everyone_else_policy_the_none_filter_finds_the_users_no_policy_reaches(mongo):
    alice = create_user("alice@example.com", 0)
    create_user("root@example.com", 0, role="ADMIN")
    make_policy(roles="ADMIN")
    assert filtered(users_filter_named(NO_POLICY)) == {alice}
    assert users_filter_named("No such policy") is None


def test_a_policy_may_not_be_called_none(mongo):
    policy = Policy(name="None", action=Policy.Action.ADD, amount_credits=1, roles="USER")
    with pytest.raises(ValidationError, match="reserved"):
        policy.full_clean()
