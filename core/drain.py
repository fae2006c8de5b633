"""A replica's drain: how many answers it is streaming right now, and whether it is stopping.

On SIGTERM the server (server_drain.py) stops taking new sessions and waits here until the
answers in flight have ended, for at most the grace period. When the grace runs out, every
answer still streaming is told to stop where it is and save itself as interrupted, so the replica
that reopens the conversation shows it with Continue and Retry instead of losing it.

The streaming driver counts the answers (`started` when a request leaves, `ended` when its answer
settles) and asks `grace_over` on every tick; the counter is also the metrics' "answers
streaming". Everything here is thread-safe: script threads count, the server's loop waits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Drain:
    """Answers in flight in this process, and the drain's deadline once one has begun."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._changed = threading.Condition()
        self._streaming = 0
        self._deadline: float | None = None
        self._expired = False

    @property
    def streaming(self) -> int:
        """How many answers are streaming now."""
        return self._streaming

    @property
    def draining(self) -> bool:
        """True from the moment the drain began: no new sessions."""
        return self._deadline is not None

    def started(self) -> None:
        """An answer's request has left."""
        with self._changed:
            self._streaming += 1

    def ended(self) -> None:
        """An answer has settled (finished, failed, stopped or interrupted)."""
        with self._changed:
            self._streaming = max(0, self._streaming - 1)
            self._changed.notify_all()

    def begin(self, grace_s: float) -> None:
        """Stop taking sessions; answers in flight have `grace_s` seconds from now to end."""
        with self._changed:
            if self._deadline is None:
                self._deadline = self._clock() + grace_s

    def remaining(self) -> float | None:
        """Seconds of grace left (never below 0), or None when no drain has begun."""
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - self._clock())

    def expire(self) -> None:
        """The grace is over: answers still streaming stop and save themselves as interrupted."""
        with self._changed:
            self._expired = True
            self._changed.notify_all()

    def grace_over(self) -> bool:
        """True once the drain's grace has run out (asked by every streaming answer's tick)."""
        return self._expired or (self._deadline is not None and self._clock() >= self._deadline)

    def wait_idle(self, timeout_s: float) -> bool:
        """Block until no answer streams, for at most `timeout_s`; True when none does."""
        with self._changed:
            return self._changed.wait_for(lambda: self._streaming == 0, timeout=max(0.0, timeout_s))


# The process's one drain: the server that receives SIGTERM and the script threads that stream
# answers share it.
REPLICA = Drain()
