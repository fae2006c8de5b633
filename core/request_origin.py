"""Whether an HTTP request was made on this machine itself, judged only from what the server sees:
the address the connection came from, the Host it asked for, and the headers a proxy adds when it
forwards someone else's request. The Host and proxy-header rules are core/local_browser.py's, the
same that decide whether the app serves a browser without sign-in."""

from __future__ import annotations

from collections.abc import Iterable

from core.identity import is_loopback
from core.local_browser import is_forwarding_header, is_loopback_host


def from_this_machine(client_address: str | None, host: str | None, header_names: Iterable[str]) -> bool:
    """True when the connection comes from a loopback address, asks for a loopback host (a web
    page whose name was rebound to 127.0.0.1 still asks for its own name), and was forwarded by
    no proxy."""
    if not is_loopback(client_address) or not is_loopback_host(host):
        return False
    return not any(is_forwarding_header(name) for name in header_names)
