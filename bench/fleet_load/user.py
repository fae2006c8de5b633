"""The Locust user: one person with the chat page open, speaking Streamlit's websocket protocol
(`bench.fleet_load.protocol`) instead of driving a browser.

Importing this module imports Locust, which monkey-patches the process for gevent: each user is
a greenlet and its blocking socket calls yield to the others.

Two ways to run it:

- the scenario (`python -m bench.fleet_load`) sets `ChatUser.round` to a `Round`: each user opens
  the page, waits until every user of the round has, then all submit their prompt at the same
  moment, read their answer, record it and stop;
- the `locust` command, for an ad-hoc load on a running app (each user opens a page, asks,
  closes, waits a second and again, until stopped):

      .venv/bin/locust -f bench/fleet_load/user.py --host http://127.0.0.1:8501 \\
          --headless --users 10 --spawn-rate 10 --run-time 60s

Locust's statistics get two request types: `page` (opening the chat page) and `answer` (submit to
final text; its response length is the websocket bytes of the answer), with a failure when the
answer did not arrive whole.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from gevent.event import Event
from locust import User, constant, task
from locust.exception import StopUser

from bench.fleet_load.protocol import Answer, ChatClient


@dataclass
class SessionResult:
    """One user's turn in a round."""

    index: int
    opened: bool = False
    open_seconds: float | None = None
    open_bytes: int = 0
    answer: Answer | None = None
    error: str | None = None  # what went wrong, as the client saw it
    lost: bool = False  # a prompt was sent and its whole answer did not arrive
    replica: str | None = None  # the replica a proxy named (fleet.sh's Caddy tags responses)

    @property
    def duration(self) -> float | None:
        return None if self.answer is None or self.lost else self.answer.duration


@dataclass
class Round:
    """`size` sessions open the page, then submit together once all are ready (or failed)."""

    size: int
    expected_text: str
    final_line: str
    open_timeout: float = 60.0
    answer_timeout: float = 120.0
    headers_for: Callable[[int], dict[str, str]] = lambda index: {}
    results: list[SessionResult] = field(default_factory=list)
    go: Event = field(default_factory=Event)
    done: Event = field(default_factory=Event)
    ready_at: float | None = None
    _ready: int = 0
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def next_index(self) -> int:
        return next(self._ids)

    def ready(self) -> None:
        """One more session is ready (or gave up): the last one starts the round."""
        self._ready += 1
        if self._ready >= self.size and not self.go.is_set():
            self.ready_at = time.monotonic()
            self.go.set()

    def record(self, result: SessionResult) -> None:
        self.results.append(result)
        if len(self.results) >= self.size:
            self.done.set()

    def judge(self, result: SessionResult) -> None:
        """Errors and lost answers, from the answer the session got."""
        answer = result.answer
        if answer is None:
            return
        if answer.error:
            result.error = answer.error
        if answer.final_text_at is None or answer.text != self.expected_text.strip():
            result.lost = True
            if result.error is None:
                result.error = (
                    f"the answer differs from the stand-in's ({len(answer.text)} characters arrived)"
                )


class ChatUser(User):
    """A person on the chat page; see the module's docstring."""

    wait_time = constant(1)
    round: Round | None = None  # set by the scenario on a subclass, one per round
    prompt = "Summarise the streaming benchmark for me"

    @task
    def chat_turn(self) -> None:
        if self.round is None:
            self._free_turn()
            return
        self._round_turn(self.round)
        raise StopUser

    def _round_turn(self, round_: Round) -> None:
        result = SessionResult(round_.next_index())
        client = ChatClient(
            self.host or "", headers=round_.headers_for(result.index), timeout=round_.open_timeout
        )
        started = time.perf_counter()
        try:
            try:
                client.open()
                result.opened = True
                result.open_seconds, result.open_bytes = client.open_seconds, client.open_bytes
                result.replica = client.page_headers.get("x-gptproto-replica")
                self._report("page", started, client.open_bytes, None)
            except Exception as failure:  # any failure to open is this session's error
                result.error = f"opening the page: {type(failure).__name__}: {failure}"
                self._report("page", started, 0, failure)
            finally:
                round_.ready()
            round_.go.wait(timeout=2 * round_.open_timeout)
            if result.opened:
                prompt = f"{self.prompt} (session {result.index})"
                result.answer = client.ask(prompt, round_.final_line, timeout=round_.answer_timeout)
                round_.judge(result)
                self._report_answer(result.answer, result.error)
        finally:
            client.close()
            round_.record(result)

    def _free_turn(self) -> None:
        client = ChatClient(self.host or "")
        started = time.perf_counter()
        try:
            client.open()
        except Exception as failure:  # reported to Locust as a failed page load
            self._report("page", started, 0, failure)
            client.close()
            return
        self._report("page", started, client.open_bytes, None)
        try:
            answer = client.ask(f"{self.prompt} ({time.time():.6f})")
            error = answer.error or (None if answer.text else "an empty answer")
            self._report_answer(answer, error)
        finally:
            client.close()

    def _report_answer(self, answer: Answer, error: str | None) -> None:
        duration = answer.duration if answer.duration is not None else time.monotonic() - answer.submitted_at
        self.environment.events.request.fire(
            request_type="WS",
            name="answer",
            response_time=duration * 1000,
            response_length=answer.bytes,
            exception=RuntimeError(error) if error else None,
            context={},
        )

    def _report(self, name: str, started: float, size: int, failure: Exception | None) -> None:
        self.environment.events.request.fire(
            request_type="WS",
            name=name,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=size,
            exception=failure,
            context={},
        )
