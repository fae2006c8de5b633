"""Whether an HTTP request was made on this machine itself, judged only from what the server sees:
the address the connection came from, the Host it asked for, and the headers a proxy adds when it
forwards someone else's request."""

from __future__ import annotations

from collections.abc import Iterable

from core.identity import is_loopback

# What proxies add when they pass a request on (Caddy and nginx in deploy/, load balancers,
# tunnels, CDNs). A request that carries any of them came from somewhere else, whatever address
# the last hop connected from.
FORWARDING_HEADERS = frozenset(
    {
        "forwarded",
        "via",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-real-ip",
        "x-client-ip",
        "x-cluster-client-ip",
        "true-client-ip",
        "cf-connecting-ip",
    }
)


def host_name(host_header: str) -> str:
    """The name or address in a Host header, without its port ('[::1]:8501' gives '::1')."""
    host = host_header.strip()
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def from_this_machine(client_address: str | None, host: str | None, header_names: Iterable[str]) -> bool:
    """True when the connection comes from a loopback address, asks for a loopback host (a web
    page whose name was rebound to 127.0.0.1 still asks for its own name), and was forwarded by
    no proxy."""
    if not is_loopback(client_address) or not host or not is_loopback(host_name(host)):
        return False
    return not any(name.lower() in FORWARDING_HEADERS for name in header_names)
