"""Many admins clicking at once: one approval, one credit."""

import threading

import pytest
from django.core import mail
from django.db import connections
from django.test import Client

from ledger.models import BalanceChange
from librechat.testing import create_user, credit_transactions, credits_of
from requests_app import links
from requests_app.models import CreditRequest
from requests_app.tests.conftest import pending_request, run_worker

pytestmark = pytest.mark.django_db(databases=["default", "librechat"], transaction=True)
CLICKS = 8


def post_all_at_once(urls: list[str]) -> list[int]:
    start = threading.Barrier(len(urls))
    statuses = []

    def click(url):
        try:
            start.wait()
            statuses.append(Client().post(url).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click, args=[url]) for url in urls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return statuses


def test_simultaneous_posts_of_the_same_and_different_links_credit_once(mongo):
    alice = create_user("alice@example.com", 20_000)
    credit_request = pending_request(user_id=alice)
    urls = [
        links.link_url(credit_request, links.APPROVE, recipient, amount).removeprefix("http://testserver")
        for recipient in ("ann@example.com", "ben@example.com")
        for amount in (5_000_000, 10_000_000)
    ] * (CLICKS // 4)
    statuses = post_all_at_once(urls)
    assert sorted(statuses) == [200] + [409] * (CLICKS - 1)
    credit_request.refresh_from_db()
    granted = credit_request.amount_granted_credits
    assert credit_request.status == "approved" and credit_request.crediting == "credited"
    assert credits_of(alice) == 20_000 + granted
    assert len(credit_transactions(alice)) == 1 and BalanceChange.objects.count() == 1
    assert CreditRequest.objects.count() == 1
    run_worker()
    assert [message.to for message in mail.outbox] == [["alice@example.com"]], "the requester hears once"
