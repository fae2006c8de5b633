"""Remembering that the database just failed, so a page does not wait on it again at every rerun.

Outside core.storage on purpose: importing it must not load SQLAlchemy, which the chat page
defers until after its first paint."""

from __future__ import annotations

DEFAULT_BACKOFF_S = 30.0


class StoreBackoff:
    """After a failure, `should_try` is False for `seconds`; a success forgets the failure.

    Pure: the caller passes the clock (`time.monotonic()`), so tests drive it without waiting."""

    def __init__(self, seconds: float = DEFAULT_BACKOFF_S) -> None:
        if seconds < 0:
            raise ValueError("A back-off cannot be negative.")
        self.seconds = seconds
        self._retry_at: float | None = None

    def failed(self, now: float) -> None:
        """Record a failure at `now`: no new attempt until `seconds` have passed."""
        self._retry_at = now + self.seconds

    def succeeded(self) -> None:
        """The database answered: try it every time again."""
        self._retry_at = None

    def should_try(self, now: float) -> bool:
        """True when there is no recent failure, or its back-off is over."""
        return self._retry_at is None or now >= self._retry_at

    def remaining(self, now: float) -> float:
        """Seconds until the next attempt is allowed (0 when it is allowed now)."""
        return 0.0 if self._retry_at is None else max(0.0, self._retry_at - now)
