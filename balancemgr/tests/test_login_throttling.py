"""django-axes: repeated failed admin logins lock that username from that address, and that address."""

import pytest
from axes.models import AccessAttempt
from django.test import override_settings

pytestmark = pytest.mark.django_db
LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.com", "correct horse")


def log_in(client, password: str, address: str = "192.0.2.1"):
    return client.post(LOGIN, {"username": "root", "password": password}, REMOTE_ADDR=address)


@override_settings(AXES_FAILURE_LIMIT=3)
def test_it_locks_out_after_repeated_failures_even_with_the_right_password(client, staff):
    for _ in range(2):
        assert log_in(client, "wrong").status_code == 200
    assert log_in(client, "wrong").status_code == 429
    assert log_in(client, "correct horse").status_code == 429
    assert "_auth_user_id" not in client.session
    attempt = AccessAttempt.objects.get(username="root")
    assert attempt.failures_since_start >= 3 and attempt.ip_address == "192.0.2.1"
    # Another address is not locked out by this one's failures.
    assert log_in(client, "correct horse", address="192.0.2.2").status_code == 302


@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_success_before_the_limit_resets_the_count(client, staff):
    log_in(client, "wrong")
    assert log_in(client, "correct horse").status_code == 302
    assert not AccessAttempt.objects.filter(username="root").exists()


@override_settings(AXES_FAILURE_LIMIT=2, TRUST_PROXY=True)
def test_behind_the_proxy_it_counts_the_address_nginx_saw(client, staff):
    for _ in range(2):
        client.post(
            LOGIN,
            {"username": "root", "password": "wrong"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7",
        )
    assert AccessAttempt.objects.get(username="root").ip_address == "203.0.113.7"


@override_settings(AXES_FAILURE_LIMIT=3)
def test_one_password_against_many_usernames_locks_the_address(client, staff):
    answers = [
        client.post(LOGIN, {"username": f"user{n}", "password": "Summer2026!"}, REMOTE_ADDR="192.0.2.5").status_code
        for n in range(12)
    ]
    assert answers == [200, 200] + [429] * 10
    assert log_in(client, "correct horse", address="192.0.2.5").status_code == 429
    assert "_auth_user_id" not in client.session
    assert log_in(client, "correct horse", address="192.0.2.6").status_code == 302


def test_force_login_still_works_for_tests(client, staff):
    client.force_login(staff)
    assert client.get("/admin/").status_code == 200


@override_settings(AXES_FAILURE_LIMIT=2)
def test_without_trust_proxy_a_forwarded_address_is_ignored(client, staff):
    client.post(
        LOGIN, {"username": "root", "password": "wrong"}, REMOTE_ADDR="192.0.2.9", HTTP_X_FORWARDED_FOR="203.0.113.7"
    )
    assert AccessAttempt.objects.get(username="root").ip_address == "192.0.2.9"
