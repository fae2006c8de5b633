"""The gateway's model list, remembered for a few minutes per gateway and key: a key's list is
never served to another key, and the key itself is never kept (only a digest of it)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from core.model_catalog import ModelListUnavailable

# A list changes when the provider adds a model: minutes are fresh enough, and a page redraw
# (every widget change) must not ask the gateway each time.
LIST_TTL_S = 300.0
# A failed read is remembered for less, so a gateway that comes back is seen soon, but a slow
# or broken one does not hold up every redraw.
FAILURE_TTL_S = 60.0
MAX_KEYS = 256


@dataclass(frozen=True)
class ModelListing:
    """The gateway's chat model ids as listed, or None with the reason it could not be read."""

    models: tuple[str, ...] | None
    problem: str | None = None


Fetch = Callable[[str, str], tuple[str, ...]]  # (base_url, api_key) -> ids; ModelListUnavailable


def key_digest(base_url: str, api_key: str) -> str:
    """What the cache is keyed by: a SHA-256 of the gateway and the key, never the key."""
    return hashlib.sha256(f"{base_url}\n{api_key}".encode()).hexdigest()


class ModelListCache:
    """Reads the list through `fetch` and keeps each gateway-and-key's answer (a failure too)
    until it expires; thread-safe, bounded to the MAX_KEYS most recently used keys."""

    def __init__(
        self,
        fetch: Fetch,
        *,
        clock: Callable[[], float] = time.monotonic,
        ttl: float = LIST_TTL_S,
        failure_ttl: float = FAILURE_TTL_S,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self._ttl = ttl
        self._failure_ttl = failure_ttl
        self._max_keys = max_keys
        self._entries: OrderedDict[str, tuple[float, ModelListing]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, base_url: str, api_key: str) -> ModelListing:
        """The listing for this gateway and key: remembered, or read now."""
        digest = key_digest(base_url, api_key)
        with self._lock:
            entry = self._entries.get(digest)
            if entry is not None and entry[0] > self._clock():
                self._entries.move_to_end(digest)
                return entry[1]
        listing = self._read(base_url, api_key)
        expires = self._clock() + (self._ttl if listing.models is not None else self._failure_ttl)
        with self._lock:
            self._entries[digest] = (expires, listing)
            self._entries.move_to_end(digest)
            while len(self._entries) > self._max_keys:
                self._entries.popitem(last=False)
        return listing

    def _read(self, base_url: str, api_key: str) -> ModelListing:
        try:
            return ModelListing(self._fetch(base_url, api_key))
        except ModelListUnavailable as exc:
            return ModelListing(None, str(exc))
