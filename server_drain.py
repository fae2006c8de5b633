"""A restart nobody notices: on SIGTERM a replica drains before it stops.

Streamlit stops at once on SIGTERM: every answer streaming in the replica is cut where it is,
saved only up to its last checkpoint (every 2 s). For a rolling restart (Kubernetes, systemd,
`scripts/fleet.sh` on SIGHUP) serve.py makes SIGTERM a drain instead:

1. The replica stops taking new sessions: `/_stcore/health` answers 503 (the proxy's health check
   and Kubernetes' readiness probe take it out of rotation) and a new websocket is refused with a
   503, so a browser reconnecting lands on another replica.
2. The sessions it has keep running, and every answer streaming may finish, for up to
   GPTPROTO_SHUTDOWN_GRACE seconds (core/drain.py counts them).
3. When the grace runs out, the answers still streaming stop where they are and are saved whole,
   marked interrupted (Continue or Retry); then the server stops as Streamlit would. The browsers
   reconnect through the proxy to another replica, which reopens the conversation in their URL.

A second SIGTERM stops at once; SIGINT (Ctrl-C) and SIGQUIT keep Streamlit's own behaviour.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any, Protocol

from core.drain import REPLICA, Drain
from core.metrics import SESSIONS_OPEN
from core.request_log import FIELDS

if TYPE_CHECKING:
    from streamlit.web.server import Server

log = logging.getLogger("gptproto.drain")

STREAM_PATH = "/_stcore/stream"
HEALTH_PATH = "/_stcore/health"
# After the grace, how long the interrupted answers get to write their last state before the
# server stops anyway (one database write each; a statement times out after 10 s).
SETTLE_S = 10.0

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Stoppable(Protocol):
    def stop(self) -> None: ...


class DrainGate:
    """ASGI middleware: counts the open sessions and, once the replica drains, refuses new ones
    and reports itself unhealthy."""

    def __init__(self, app: ASGIApp, drain: Drain = REPLICA) -> None:
        self.app = app
        self.drain = drain

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] == "websocket" and path.endswith(STREAM_PATH):
            if self.drain.draining:
                await _refuse_websocket(scope, send)
                return
            SESSIONS_OPEN.inc()
            try:
                await self.app(scope, receive, send)
            finally:
                SESSIONS_OPEN.dec()
            return
        if scope["type"] == "http" and path.endswith(HEALTH_PATH) and self.drain.draining:
            await _send_unavailable(send)
            return
        await self.app(scope, receive, send)


_UNAVAILABLE_HEADERS = [
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"cache-control", b"no-cache"),
    (b"retry-after", b"1"),
]


async def _send_unavailable(send: Send, prefix: str = "http") -> None:
    await send({"type": f"{prefix}.response.start", "status": 503, "headers": _UNAVAILABLE_HEADERS})
    await send({"type": f"{prefix}.response.body", "body": b"draining"})


async def _refuse_websocket(scope: Scope, send: Send) -> None:
    # A 503 to the upgrade (where the server can send one) rather than a bare close: nginx's
    # proxy_next_upstream then tries the next replica at once.
    if "websocket.http.response" in scope.get("extensions", {}):
        await _send_unavailable(send, prefix="websocket.http")
    else:
        await send({"type": "websocket.close", "code": 1013})  # 1013: try again later


def gate_sessions() -> bool:
    """Put DrainGate in front of the app Streamlit's server builds; False (and a warning) if
    this Streamlit version builds it differently."""
    try:
        from streamlit.web.server.starlette import starlette_server
    except ImportError:
        log.warning("Streamlit's Starlette server was not found; SIGTERM stops at once.")
        return False
    create = getattr(starlette_server, "create_starlette_app", None)
    if create is None:
        log.warning("Streamlit builds its server differently now; SIGTERM stops at once.")
        return False
    if getattr(create, "drain_gate", False):
        return True

    def create_gated(runtime: Any) -> DrainGate:
        # Around whatever ASGI app is built (Streamlit's, or one another wrapper returns): uvicorn
        # needs only a callable, and lifespan events pass straight through.
        return DrainGate(create(runtime))

    create_gated.drain_gate = True  # type: ignore[attr-defined]
    starlette_server.create_starlette_app = create_gated  # type: ignore[assignment]
    return True


def drain_on_sigterm(grace_s: float) -> bool:
    """Make SIGTERM drain (see the module's docstring) once Streamlit's server has started."""
    if not gate_sessions():
        return False
    from streamlit.web import bootstrap

    set_up = bootstrap._set_up_signal_handler
    if getattr(set_up, "drains", False):
        return True

    def set_up_draining(server: Server) -> None:
        set_up(server)  # Streamlit's handlers for SIGINT and SIGQUIT stay as they are
        loop = asyncio.get_running_loop()
        tasks: set[asyncio.Task[None]] = set()

        def on_sigterm(_signal: int, _frame: Any) -> None:
            loop.call_soon_threadsafe(begin_drain, server, grace_s, tasks)

        signal.signal(signal.SIGTERM, on_sigterm)

    set_up_draining.drains = True  # type: ignore[attr-defined]
    bootstrap._set_up_signal_handler = set_up_draining
    return True


def begin_drain(server: Stoppable, grace_s: float, tasks: set[asyncio.Task[None]]) -> None:
    """On the server's loop: start draining, or stop at once on a second SIGTERM."""
    if REPLICA.draining:
        log.info("second SIGTERM: stopping now", extra={FIELDS: {"event": "drain_cut_short"}})
        server.stop()
        return
    REPLICA.begin(grace_s)
    task = asyncio.get_running_loop().create_task(drain_then_stop(server, REPLICA))
    tasks.add(task)  # the loop keeps only a weak reference to its tasks
    task.add_done_callback(tasks.discard)


async def drain_then_stop(server: Stoppable, drain: Drain, settle_s: float = SETTLE_S) -> None:
    """Wait for the answers in flight (up to the grace), interrupt the rest, then stop."""
    began, at_sigterm = time.monotonic(), drain.streaming
    grace = drain.remaining() or 0.0
    log.info(
        "SIGTERM: draining before stopping",
        extra={
            FIELDS: {"event": "drain_started", "answers_streaming": at_sigterm, "grace_s": round(grace, 3)}
        },
    )
    interrupted = 0
    if not await asyncio.to_thread(drain.wait_idle, grace):
        interrupted = drain.streaming
        drain.expire()
        await asyncio.to_thread(drain.wait_idle, settle_s)
    log.info(
        "drained: stopping",
        extra={
            FIELDS: {
                "event": "drain_finished",
                "answers_at_sigterm": at_sigterm,
                "answers_interrupted": interrupted,
                "drain_s": round(time.monotonic() - began, 3),
            }
        },
    )
    server.stop()
