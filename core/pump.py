"""Run gateway calls on worker threads so the UI thread stays free to draw and to stop them."""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator, Sequence
from typing import Any

from core.gateway import Event, Failure, Finish, Gateway

_DONE = object()


class EventPump:
    """Feeds one gateway call's events, tagged, into a queue (its own or a shared one)."""

    def __init__(
        self,
        gateway: Gateway,
        body: dict[str, Any],
        *,
        outbox: queue.Queue[tuple[object, object]] | None = None,
        tag: object = None,
    ) -> None:
        self._gateway = gateway
        self._body = body
        self._outbox: queue.Queue[tuple[object, object]] = outbox or queue.Queue()
        self.tag = tag
        self._thread = threading.Thread(target=self._run, name="gateway-pump", daemon=True)

    def start(self) -> EventPump:
        """Send the request."""
        self._thread.start()
        return self

    def ticks(self, poll_s: float = 0.1) -> Iterator[Event | None]:
        """Events in order, with None every poll_s while waiting; ends after the last event."""
        for _, event in merged_ticks([self], self._outbox, poll_s):
            yield event

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
                self._outbox.put((self.tag, event))
                if isinstance(event, Finish | Failure):
                    break
        finally:
            events.close()
            self._outbox.put((self.tag, _DONE))


def merged_ticks(
    pumps: Sequence[EventPump], outbox: queue.Queue[tuple[object, object]], poll_s: float = 0.1
) -> Iterator[tuple[object, Event | None]]:
    """(tag, event) from several pumps sharing one outbox, as they arrive; (None, None) every
    poll_s while all are quiet; ends when every pump is done."""
    running = len(pumps)
    while running:
        try:
            tag, item = outbox.get(timeout=poll_s)
        except queue.Empty:
            yield None, None
            continue
        if item is _DONE:
            running -= 1
            continue
        yield tag, item  # type: ignore[misc]
