"""The drain's bookkeeping (core/drain.py), the gate in front of Streamlit's server and the
drain's course (server_drain.py), on a fixed clock and a small ASGI app of the test's own."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from core.conversation import Status, pending_answer
from core.drain import Drain
from core.stream_state import StreamState
from server_drain import DrainGate, Message, Receive, Scope, Send, drain_then_stop

T = TypeVar("T")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_answers_are_counted_and_the_grace_runs_from_the_sigterm():
    clock = Clock()
    drain = Drain(clock)
    drain.started()
    drain.started()
    drain.ended()
    assert (drain.streaming, drain.draining, drain.remaining(), drain.grace_over()) == (1, False, None, False)

    drain.begin(20.0)
    clock.now += 5
    assert (drain.draining, drain.remaining(), drain.grace_over()) == (True, 15.0, False)
    drain.begin(60.0)  # a second SIGTERM does not extend the grace
    assert drain.remaining() == 15.0
    clock.now += 15
    assert (drain.remaining(), drain.grace_over()) == (0.0, True)


def test_expire_ends_the_grace_at_once():
    drain = Drain(Clock())
    drain.begin(600.0)
    drain.expire()
    assert drain.grace_over()


def test_wait_idle_returns_when_the_last_answer_ends():
    drain = Drain()
    drain.started()
    assert drain.wait_idle(0.05) is False  # still streaming
    ender = threading.Timer(0.05, drain.ended)
    ender.start()
    assert drain.wait_idle(10.0) is True
    ender.join()
    assert drain.streaming == 0


def test_an_interrupted_answer_keeps_its_text_and_says_so():
    answer = pending_answer("o4-mini")
    recorder = StreamState(answer, clock=Clock())
    answer.text = "The first half"
    recorder.interrupt()
    assert answer.status == Status.INCOMPLETE
    assert answer.text == "The first half"
    assert answer.error is not None and answer.error.title == "The answer was interrupted"
    recorder.stop()  # the settle that follows does not turn it into a stop
    assert answer.status == Status.INCOMPLETE


# -- the gate ---------------------------------------------------------------------------------


async def _downstream(scope: Scope, receive: Receive, send: Send) -> None:
    """Stands in for Streamlit's app: answers every HTTP request 200 and accepts websockets."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.accept"})
        await receive()  # held open until the browser goes
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def run_apart(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` on its own event loop in a thread of its own: a session-wide Playwright,
    started by an earlier browser test, keeps an event loop running in the main thread, where
    asyncio.run() refuses to start another."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _call(gate: DrainGate, scope: Scope, incoming: list[Message] | None = None) -> list[Message]:
    sent: list[Message] = []
    queue = list(incoming or [{"type": "websocket.disconnect", "code": 1000}])

    async def receive() -> Message:
        return queue.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    run_apart(gate(scope, receive, send))
    return sent


HEALTH = {"type": "http", "path": "/_stcore/health"}
STREAM = {"type": "websocket", "path": "/_stcore/stream", "extensions": {"websocket.http.response": {}}}


def test_before_the_drain_everything_passes_through():
    gate = DrainGate(_downstream, Drain())
    assert _call(gate, HEALTH)[0] == {"type": "http.response.start", "status": 200, "headers": []}
    assert _call(gate, STREAM)[0] == {"type": "websocket.accept"}


def test_while_draining_health_is_503_and_a_new_session_is_refused_with_a_503():
    drain = Drain()
    drain.begin(30.0)
    gate = DrainGate(_downstream, drain)

    health = _call(gate, HEALTH)
    assert health[0]["status"] == 503 and health[1]["body"] == b"draining"
    refused = _call(gate, STREAM)
    assert [m["type"] for m in refused] == ["websocket.http.response.start", "websocket.http.response.body"]
    assert refused[0]["status"] == 503
    # Without the denial-response extension the upgrade is closed instead: 1013, try again later.
    assert _call(gate, {"type": "websocket", "path": "/_stcore/stream"}) == [
        {"type": "websocket.close", "code": 1013}
    ]
    # Everything else (the page, its scripts, an open session's uploads) is still served.
    assert _call(gate, {"type": "http", "path": "/static/js/index.js"})[0]["status"] == 200


def test_the_gate_counts_open_sessions():
    from core.metrics import REGISTRY

    gate = DrainGate(_downstream, Drain())
    seen: list[float | None] = []

    async def receive_and_look() -> Message:
        seen.append(REGISTRY.get_sample_value("gptproto_sessions_open"))
        return {"type": "websocket.disconnect", "code": 1000}

    async def send(message: Message) -> None:
        pass

    before = REGISTRY.get_sample_value("gptproto_sessions_open") or 0.0
    run_apart(gate(STREAM, receive_and_look, send))
    assert seen == [before + 1]
    assert REGISTRY.get_sample_value("gptproto_sessions_open") == before


# -- the drain's course -----------------------------------------------------------------------


class Server:
    def __init__(self) -> None:
        self.stopped = threading.Event()

    def stop(self) -> None:
        self.stopped.set()


def test_the_server_stops_as_soon_as_the_answers_in_flight_have_ended():
    drain, server = Drain(), Server()
    drain.started()
    drain.begin(60.0)
    threading.Timer(0.05, drain.ended).start()
    run_apart(drain_then_stop(server, drain, settle_s=5.0))
    assert server.stopped.is_set()
    assert not drain.grace_over()  # they finished: nobody was interrupted


def test_when_the_grace_runs_out_the_answers_are_interrupted_and_then_the_server_stops():
    drain, server = Drain(), Server()
    drain.started()
    drain.begin(0.05)
    saved: list[bool] = []

    def answer_thread() -> None:
        # What a streaming answer does (components/streaming.py): it notices on its next tick,
        # saves itself as interrupted, then ends.
        while not drain.grace_over():
            threading.Event().wait(0.01)  # a tick
        saved.append(True)
        drain.ended()

    streaming = threading.Thread(target=answer_thread)
    streaming.start()
    run_apart(drain_then_stop(server, drain, settle_s=5.0))
    streaming.join()
    assert saved == [True]
    assert server.stopped.is_set() and drain.streaming == 0
