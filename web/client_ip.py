"""The address of the client that sent a request, for rate limits and the record."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or with TRUST_PROXY the address our proxy saw (the last X-Forwarded-For entry); "" if not an IP.

    Only the rightmost entry is the proxy's own; anything left of it came from the client and can
    be forged, so it is never used.
    """
    if settings.TRUST_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        candidate = forwarded[-1].strip()
        if _is_ip(candidate):
            return candidate
    remote_address = request.META.get("REMOTE_ADDR", "")
    # gunicorn on a unix socket gives "" or a path; PostgreSQL's inet column would refuse anything but an IP.
    return remote_address if _is_ip(remote_address) else ""


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
