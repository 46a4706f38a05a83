"""The JSON API under gunicorn (2 workers, production settings) on loopback: requests per second of
get-balance and add-balance as a ratio to a minimal Django view in the same process that reads one
balance with pymongo (target: >= 0.7 for get-balance), and the p50/p99 latency of each.

BENCH_RATE_LIMIT=0 measures without the per-key rate limiter (by default it counts every request,
as in production, with a limit never reached); BENCH_CLIENT_THREADS sets the client's concurrency."""

import json
import os
import random
import statistics
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import harness

USERS = 1_000
CLIENT_THREADS = int(os.environ.get("BENCH_CLIENT_THREADS", "4"))
ROUNDS = 3
REQUESTS_PER_ROUND = 300


def timed_requests(make_request, count: int) -> tuple[float, list[float]]:
    """(wall seconds, latency of each request) for `count` requests over CLIENT_THREADS connections."""

    def one(index: int) -> float:
        started = time.perf_counter()
        with urllib.request.urlopen(make_request(index), timeout=30) as response:
            response.read()
            assert response.status == 200, response.status
        return time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        latencies = list(pool.map(one, range(count)))
    return time.perf_counter() - started, latencies


def main() -> None:
    harness.start()
    harness.seed(USERS)
    from api.models import ApiKey
    from api.testing import start_gunicorn, stop
    from librechat.models import LibreChatUser
    from librechat.queries import user_ids_with_balance

    # Users with a balance document, which the minimal view needs.
    with_balance = list(user_ids_with_balance())
    emails = list(LibreChatUser.objects.filter(id__in=with_balance).values_list("email", flat=True))
    key = ApiKey(name="bench", scopes="read,write").issue()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "api_baseline_settings",
        "PYTHONPATH": os.pathsep.join([str(harness.ROOT), str(harness.ROOT / "bench")]),
        "ALLOWED_HOSTS": "127.0.0.1",
        # The limiter's cost is measured; its limit is never reached.
        "API_RATE_LIMIT_PER_MINUTE": os.environ.get("BENCH_RATE_LIMIT", "100000000"),
    }
    server, base_url = start_gunicorn(env, workers=2)
    headers = {"x-api-key": key}

    def raw(index: int):
        return urllib.request.Request(f"{base_url}/raw-balance?email={random.choice(emails)}")

    def get_balance(index: int):
        return urllib.request.Request(
            f"{base_url}/api/balance/admin/get-balance?email={random.choice(emails)}", None, headers
        )

    def add_balance(index: int):
        body = json.dumps({"email": random.choice(emails), "amount": 1}).encode()
        return urllib.request.Request(
            f"{base_url}/api/balance/admin/add-balance", body, {**headers, "Content-Type": "application/json"}
        )

    kinds = {"minimal view (2 pymongo reads)": raw, "get-balance": get_balance, "add-balance": add_balance}
    totals = {name: [0.0, []] for name in kinds}
    try:
        for make_request in kinds.values():
            timed_requests(make_request, 50)  # warm up both workers
        # Rounds interleave the kinds, so load from elsewhere on the machine hits all of them alike.
        for _ in range(ROUNDS):
            for name, make_request in kinds.items():
                wall, latencies = timed_requests(make_request, REQUESTS_PER_ROUND)
                totals[name][0] += wall
                totals[name][1] += latencies
    finally:
        stop(server)

    baseline_rps = ROUNDS * REQUESTS_PER_ROUND / totals["minimal view (2 pymongo reads)"][0]
    print(f"{ROUNDS * REQUESTS_PER_ROUND} requests each, {CLIENT_THREADS} client threads, gunicorn 2 workers")
    print(f"machine load average (1, 5, 15 min) at the end: {', '.join(f'{load:.1f}' for load in os.getloadavg())}")
    for name, (wall, latencies) in totals.items():
        rps = len(latencies) / wall
        cuts = statistics.quantiles(latencies, n=100)
        print(
            f"  {name:<32} {rps:7.1f} req/s  ratio {rps / baseline_rps:4.2f}  "
            f"p50 {cuts[49] * 1000:6.1f} ms  p99 {cuts[98] * 1000:6.1f} ms"
        )
    print("target: get-balance >= 0.7 of the minimal view")


if __name__ == "__main__":
    sys.exit(main())
