"""The address of the client that sent a request, for rate limits and the record."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or with TRUST_PROXY the address our reverse proxy saw (the last X-Forwarded-For entry).

    Only the rightmost entry is the proxy's own; anything left of it came from the client and can
    be forged, so it is never used.
    """
    if settings.TRUST_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        candidate = forwarded[-1].strip()
        if _is_ip(candidate):
            return candidate
    return request.META.get("REMOTE_ADDR", "")


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
