import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db(databases=["default", "librechat"])
COLLECTIONS = ("users", "balances", "agents", "transactions", "conversations", "messages")


def snapshot(mongo) -> dict[str, list[dict]]:
    return {name: list(mongo[name].find().sort("_id", 1)) for name in COLLECTIONS}


def seed(seed: int = 7, *extra: str) -> None:
    arguments = f"--users 40 --days 5 --transactions 300 --seed {seed} --until 2026-11-01"
    call_command("seed_demo", *arguments.split(), *extra)


def test_it_seeds_a_realistic_data_set(mongo):
    seed()
    assert mongo.users.count_documents({}) == 40
    users_with_balance = mongo.balances.distinct("user")
    assert 0 < len(users_with_balance) < 40, "some users have no balance document"
    assert mongo.balances.count_documents({}) == len(users_with_balance) + 1, "one duplicate balance"
    credits = [b["tokenCredits"] for b in mongo.balances.find()]
    assert min(credits) >= 0 and max(credits) <= 50_000_000
    assert {"prompt", "completion", "credits"} <= set(mongo.transactions.distinct("tokenType"))
    spending = mongo.transactions.find_one({"tokenType": "completion"})
    assert spending["tokenValue"] == spending["rawAmount"] * spending["rate"] < 0
    assert mongo.agents.count_documents({}) == 5
    assert mongo.transactions.count_documents({"model": {"$regex": "^agent_"}}) > 0


def test_the_same_seed_writes_the_same_documents(mongo):
    seed()
    first = snapshot(mongo)
    for name in COLLECTIONS:
        mongo[name].delete_many({})
    seed()
    assert snapshot(mongo) == first


def test_it_refuses_a_database_that_holds_users(mongo):
    seed()
    with pytest.raises(CommandError, match="already holds users"):
        seed(seed=8)
    assert mongo.users.count_documents({}) == 40


def test_force_adds_next_to_existing_users(mongo):
    seed()
    call_command("seed_demo", users=10, days=2, seed=9, force=True)
    assert mongo.users.count_documents({}) == 50


def test_force_with_the_same_seed_says_so(mongo):
    seed()
    with pytest.raises(CommandError, match="already written"):
        seed(7, "--force")
