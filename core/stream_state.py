"""The stream-state fold: gateway events applied, one by one, to the answer they build (its text,
status, usage and timings), as openai's ChatCompletionStreamState accumulates chunks while the
events say what changed."""

from __future__ import annotations

import time
from collections.abc import Callable

from core.conversation import Message, Status, Timing
from core.gateway.errors import incomplete_error, interrupted_error
from core.gateway.events import (
    Accepted,
    Event,
    Failure,
    Finish,
    RetryWait,
    TextDelta,
    UsageReport,
    UsageUnavailable,
)

_FINISH_STATUS = {"stop": Status.COMPLETE, "length": Status.CUT_OFF}


class StreamState:
    """Applies events to an answer as they arrive; the clock starts when the request goes out."""

    def __init__(self, answer: Message, clock: Callable[[], float] = time.monotonic) -> None:
        self.answer = answer
        self._clock = clock
        self._started = clock()
        self._prior_text = answer.text
        self._prior_usage = answer.usage
        self.retry_wait: RetryWait | None = None
        answer.timing = Timing()
        answer.status = Status.STREAMING
        answer.error = None

    def restart_clock(self) -> None:
        """A retry is a fresh request: time it from now."""
        self._started = self._clock()

    def apply(self, event: Event) -> None:
        """Update the answer for one event."""
        answer = self.answer
        if isinstance(event, RetryWait):
            self.retry_wait = event
            return
        if self.retry_wait is not None:
            self.retry_wait = None
            self.restart_clock()
        if isinstance(event, Accepted):
            answer.request_id = event.request_id
        elif isinstance(event, TextDelta):
            if answer.timing.first_token_s is None:
                answer.timing.first_token_s = self._clock() - self._started
            answer.text += event.text
        elif isinstance(event, UsageReport):
            answer.usage = event.usage if self._prior_usage is None else self._prior_usage + event.usage
            answer.usage_reported = True
        elif isinstance(event, UsageUnavailable):
            answer.usage_reported = False
        elif isinstance(event, Finish):
            self._finish(event.reason)
        elif isinstance(event, Failure):
            answer.error = event.error
            answer.status = Status.FAILED
            self._stamp_total()

    def stop(self) -> None:
        """The user stopped the answer: keep what arrived."""
        if self.answer.status == Status.STREAMING:
            self.answer.status = Status.STOPPED
            self._stamp_total()

    def interrupt(self) -> None:
        """The server is stopping: keep what arrived, marked interrupted (Continue or Retry), as
        the replica that reopens the conversation would show an answer cut short."""
        if self.answer.status == Status.STREAMING:
            self.answer.status = Status.INCOMPLETE
            self.answer.error = interrupted_error()
            self._stamp_total()

    def _finish(self, reason: str | None) -> None:
        answer = self.answer
        answer.finish_reason = reason
        if reason is None:
            answer.status = Status.INCOMPLETE
            answer.error = incomplete_error()
        else:
            answer.status = _FINISH_STATUS.get(reason, Status.COMPLETE)
        if answer.usage is None and answer.usage_reported:
            # Streamed without a usage chunk although we asked: say so, never estimate.
            answer.usage_reported = False
        self._stamp_total()

    def _stamp_total(self) -> None:
        self.answer.timing.total_s = self._clock() - self._started

    @property
    def new_text(self) -> str:
        """Text that arrived during this request (a Continue appends to earlier text)."""
        return self.answer.text[len(self._prior_text) :]
