"""What a request says about its client once it has passed through our reverse proxy."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address: the one our proxy saw when TRUST_PROXY is on, else the peer's.

    nginx's `$proxy_add_x_forwarded_for` appends the address it saw, so only the last entry of
    X-Forwarded-For is trustworthy; earlier entries are whatever the client chose to send.
    """
    forwarded_for = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.TRUST_PROXY and forwarded_for.strip():
        return forwarded_for.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")
