"""An image link that came from outside (an import, a shared snapshot, a message's link) read as
a URL before the page does anything with it.

The page used to paste such a link into markdown, `[name](url)`, so a link ending in
`png)![p](http://attacker/...)` closed the app's link early and opened an image of its own.
A link is now accepted only as what it claims to be: https, a host, and none of the characters
that end a link or start markup in markdown or HTML; the page then hands it to an element that
takes a URL (a link button), never to markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL_CHARS = 4096
# Spaces and controls end a URL; the rest close or open markdown links, code or HTML.
_REFUSED = re.compile(r"[\x00-\x20\x7f-\uffff\"'()<>\[\]\\`{}|^]")
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?)*")


@dataclass(frozen=True)
class WebAddress:
    """An https URL that parsed cleanly: the URL as given and its host (lower case)."""

    url: str
    host: str


def parse_web_address(raw: str) -> WebAddress | None:
    """`raw` as an https URL with a host name and no credentials, no spaces or controls, nothing
    outside printable ASCII and none of " ' ( ) < > [ ] \\ ` { } | ^; None for anything else."""
    if not raw or len(raw) > MAX_URL_CHARS or _REFUSED.search(raw):
        return None
    try:
        parts = urlsplit(raw)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:  # a port that is not a number, a malformed netloc
        return None
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme.lower() != "https" or not port_ok or parts.username is not None:
        return None
    if not _HOST.fullmatch(host):
        return None
    return WebAddress(raw, host)
