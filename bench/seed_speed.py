"""How long seed_demo takes for 10,000 users and 200,000 transactions, against a raw insert_many
of the very same documents on the same server. Target: within 1.5x."""

import random

import harness

USERS, TRANSACTIONS = 10_000, 200_000


def main() -> None:
    harness.start()
    from balances.management.commands.seed_demo import INSERT_CHUNK

    from librechat.demo_data import build_activity, build_people, demo_until
    from librechat.mongo import librechat_db

    with harness.COUNTER.measure() as seeded:
        harness.seed(USERS, TRANSACTIONS)
    harness.clear()

    # The same documents, built before the clock starts.
    rng = random.Random(1)
    until = demo_until()
    people = build_people(rng, USERS, until)
    by_collection = {"users": people.users, "balances": people.balances, "agents": people.agents}
    for name, document in build_activity(rng, people, TRANSACTIONS, 30, until):
        by_collection.setdefault(name, []).append(document)
    database = librechat_db()
    with harness.COUNTER.measure() as raw:
        for name, documents in by_collection.items():
            for start in range(0, len(documents), INSERT_CHUNK):
                database[name].insert_many(documents[start : start + INSERT_CHUNK], ordered=False)

    print(f"seed_demo --users {USERS} --transactions {TRANSACTIONS}")
    print(f"  seed_demo:        {seeded['wall_seconds']:.2f} s, {seeded['commands']} commands")
    print(f"  raw insert_many:  {raw['wall_seconds']:.2f} s, {raw['commands']} commands")
    print(f"  ratio:            {seeded['wall_seconds'] / raw['wall_seconds']:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
