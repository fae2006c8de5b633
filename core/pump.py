"""Run a gateway call on a worker thread so the UI thread stays free to draw and to stop it."""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from typing import Any

from core.gateway import Event, Failure, Finish, Gateway

_DONE = object()


class EventPump:
    """Feeds a gateway's events through a queue; `ticks` yields None while nothing arrives."""

    def __init__(self, gateway: Gateway, body: dict[str, Any]) -> None:
        self._gateway = gateway
        self._body = body
        self._queue: queue.Queue[object] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="gateway-pump", daemon=True)

    def start(self) -> EventPump:
        """Send the request."""
        self._thread.start()
        return self

    def ticks(self, poll_s: float = 0.1) -> Iterator[Event | None]:
        """Events in order, with None every poll_s while waiting; ends after the last event."""
        while True:
            try:
                item = self._queue.get(timeout=poll_s)
            except queue.Empty:
                yield None
                continue
            if item is _DONE:
                return
            yield item  # type: ignore[misc]

    def cancel(self) -> None:
        """Stop the call: the worker closes the HTTP stream at its next step."""
        self._gateway.cancel()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the worker to finish (it closes its connection on the way out)."""
        self._thread.join(timeout)

    def _run(self) -> None:
        events: Generator[Event, None, None] = self._gateway.chat(self._body)
        try:
            for event in events:
                self._queue.put(event)
                if isinstance(event, Finish | Failure):
                    break
        finally:
            events.close()
            self._queue.put(_DONE)
