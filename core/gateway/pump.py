"""Run gateway calls on worker threads so the UI thread stays free to draw and to stop them."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Generator, Hashable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from core.gateway.events import Event, Failure, Finish

if TYPE_CHECKING:  # the client loads on the first request, not to draw a page
    from core.gateway.client import Gateway

TagT = TypeVar("TagT", bound=Hashable)


class _Done:
    """Put in the queue by a worker once its call has ended."""


_DONE = _Done()
# How long start() gives the workers to write their requests out before the caller goes on.
# Alone with the GIL a worker does it in ~1 ms; beside a page being drawn it took 5-14 ms more
# (bench.split, "HTTP send to gateway receipt"). A new connection's handshake can take longer:
# the page does not wait for that.
SEND_HEAD_START_S = 0.02


class EventPump(Generic[TagT]):
    """Runs one or more gateway calls at once, each under its own tag, and yields their events
    as they arrive. Used as a context manager it starts the calls on entry and cancels every call
    still running on exit (as openai's `Stream` closes its response), whatever ends the block."""

    def __init__(self, calls: Mapping[TagT, tuple[Gateway, dict[str, Any]]]) -> None:
        self._gateways = {tag: gateway for tag, (gateway, _) in calls.items()}
        self._outbox: queue.Queue[tuple[TagT, Event | _Done]] = queue.Queue()
        self._running = set(calls)
        self.started_at: float | None = None  # time.monotonic() when the requests were sent
        self._threads = [
            threading.Thread(target=self._run, args=(tag, gateway, body), name="gateway-pump", daemon=True)
            for tag, (gateway, body) in calls.items()
        ]

    def __enter__(self) -> EventPump[TagT]:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.cancel()

    def start(self, head_start_s: float = SEND_HEAD_START_S) -> EventPump[TagT]:
        """Send every request (once: starting a started pump does nothing), and return once each
        is written out or `head_start_s` has passed."""
        if self.started_at is None:
            self.started_at = time.monotonic()
            for thread in self._threads:
                thread.start()
            deadline = self.started_at + head_start_s
            for gateway in self._gateways.values():
                gateway.request_sent.wait(max(0.0, deadline - time.monotonic()))
        return self

    def ticks(self, poll_s: float = 0.1) -> Iterator[tuple[TagT, Event] | None]:
        """(tag, event) in arrival order, None every poll_s while all calls are quiet; ends once
        every call has ended."""
        while self._running:
            try:
                tag, item = self._outbox.get(timeout=poll_s)
            except queue.Empty:
                yield None
                continue
            if isinstance(item, _Done):
                self._running.discard(tag)
                continue
            yield tag, item

    def cancel(self) -> None:
        """Stop every call that has not ended: its worker closes the HTTP stream at its next step."""
        for tag in self._running:
            self._gateways[tag].cancel()

    def join(self, timeout: float | None = None) -> None:
        """Wait for the workers to finish (each closes its connection on the way out)."""
        for thread in self._threads:
            thread.join(timeout)

    def _run(self, tag: TagT, gateway: Gateway, body: dict[str, Any]) -> None:
        events: Generator[Event, None, None] = gateway.chat(body)
        try:
            for event in events:
                self._outbox.put((tag, event))
                if isinstance(event, Finish | Failure):
                    break
        finally:
            events.close()
            self._outbox.put((tag, _DONE))
