"""Whether a request comes from a browser visibly on the server's own machine.

With no sign-in configured, the app is one person's tool: it may serve chats (and the Admin page)
only to a browser on its machine. Binding to 127.0.0.1 is not enough to know that: anything on
the same host that forwards to it (Caddy, nginx, socat, an SSH tunnel) turns loopback into a
network service. A browser on the machine opens the app by a loopback name, so its `Host` (and
its `Origin`) name one; a proxy in front of the app says so in a forwarding header. A relay that
forwards raw TCP and a client that forges `Host: localhost` cannot be told apart from a local
browser by any header: only sign-in closes that, which is what the refusal asks for.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from urllib.parse import urlsplit

# Every header of the request as received, in order, repeats included: a header sent twice must
# be seen twice (a mapping would keep one of them).
RequestHeaders = Sequence[tuple[str, str]]

LOOPBACK_NAMES = ("localhost",)
FORWARDED_PREFIX = "x-forwarded-"
# Headers that proxies, load balancers and CDNs add to say whom they forward for.
FORWARDING_HEADERS = (
    "forwarded",
    "via",
    "x-real-ip",
    "x-client-ip",
    "client-ip",
    "true-client-ip",
    "cf-connecting-ip",
    "fastly-client-ip",
    "x-cluster-client-ip",
    "x-original-forwarded-for",
    "x-proxyuser-ip",
)


def header_values(headers: RequestHeaders, name: str) -> list[str]:
    """Every value sent for the header `name` (any case), in order."""
    wanted = name.lower()
    return [value for key, value in headers if key.lower() == wanted]


def is_loopback_host(host: str | None) -> bool:
    """True when a `Host` value (`name[:port]`, `[v6][:port]`) names this machine: `localhost`,
    127.0.0.0/8 or ::1."""
    text = (host or "").strip().lower()
    if text.startswith("["):
        name, closed, port = text[1:].partition("]")
        if not closed or (port and not port.startswith(":")):
            return False
        port = port[1:]
    else:
        name, _, port = text.partition(":")
    if (port and not port.isdigit()) or not name:
        return False
    if name.rstrip(".") in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_forwarding_header(name: str) -> bool:
    """True for a header that a proxy adds to say whom it forwards for (any case)."""
    lowered = name.lower()
    return lowered.startswith(FORWARDED_PREFIX) or lowered in FORWARDING_HEADERS


def forwarding_headers(headers: RequestHeaders) -> list[str]:
    """The names of the headers that say a proxy forwarded this request, as they were sent."""
    found: list[str] = []
    for key, _ in headers:
        if is_forwarding_header(key) and key not in found:
            found.append(key)
    return found


def why_not_local(headers: RequestHeaders) -> str | None:
    """Why this request is not visibly from a browser on this machine (a sentence ending a
    clause), or None when it is."""
    forwarded = forwarding_headers(headers)
    if forwarded:
        return f"this request came through a proxy (it carries {', '.join(forwarded)})"
    hosts = header_values(headers, "host")
    if len(hosts) != 1 or not is_loopback_host(hosts[0]):
        shown = ", ".join(hosts) or "no Host header"
        return f"this page was opened as {shown}, not as localhost or 127.0.0.1"
    for origin in header_values(headers, "origin"):
        if not is_loopback_host(urlsplit(origin).netloc):
            return f"this page was loaded from {origin}, not from this machine"
    return None
