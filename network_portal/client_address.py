"""The address of the client behind our own reverse proxies.

Each proxy appends the address it received the request from to
X-Forwarded-For. With TRUSTED_PROXY_COUNT = N, the last N entries were
written by our proxies, and the N-th from the right is the client as our
outermost proxy saw it; anything further left came from the client and may be
made up. With N = 0 the header is ignored and the connecting address is used.

When the header is shorter than N or its entry is not an address, the request
did not come through our proxies as configured, so the connecting address is
used: never a value the client wrote.
"""

import ipaddress

from django.conf import settings


def client_address(request) -> str:
    connecting = request.META.get("REMOTE_ADDR", "")
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return connecting
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(hops) < trusted:
        return connecting
    try:
        return str(ipaddress.ip_address(hops[-trusted]))
    except ValueError:
        return connecting
