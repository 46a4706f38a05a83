"""The client address for rate limits: the proxy's X-Forwarded-For entry only when TRUST_PROXY says so."""

from django.test import RequestFactory

from web.client_ip import client_ip


def request_from(remote_address: str, forwarded: str | None = None):
    headers = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    return RequestFactory().get("/", REMOTE_ADDR=remote_address, **headers)


def test_it_uses_the_connection_address_by_default(settings):
    settings.TRUST_PROXY = False
    assert client_ip(request_from("10.0.0.2", "203.0.113.5")) == "10.0.0.2"


def test_behind_a_trusted_proxy_it_uses_the_entry_the_proxy_added(settings):
    settings.TRUST_PROXY = True
    assert client_ip(request_from("10.0.0.2", "6.6.6.6, 203.0.113.5")) == "203.0.113.5"
    assert client_ip(request_from("10.0.0.2", "2001:db8::1")) == "2001:db8::1"


def test_a_garbled_header_falls_back_to_the_connection(settings):
    settings.TRUST_PROXY = True
    assert client_ip(request_from("10.0.0.2", "203.0.113.5, not-an-ip")) == "10.0.0.2"
    assert client_ip(request_from("10.0.0.2", "")) == "10.0.0.2"


def test_a_connection_without_an_ip_gives_an_empty_address(settings):
    settings.TRUST_PROXY = False
    assert client_ip(request_from("unix:/run/gunicorn.sock")) == ""
