"""Timestamps from inside the app's server process, for `python -m bench.split`.

Loaded only by the split tool (a sitecustomize.py it writes calls `install()` when BENCH_TRACE
names a file): it wraps Streamlit's websocket, session and script-runner entry points and the
app's page-level functions, and appends one JSON line per event (`t` = time.monotonic(), `e` =
the event, `th` = the thread) to that file. The wrapped names are looked up at each script run
and skipped when absent, so a refactored page only loses the events it renamed.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

_lock = threading.Lock()
_file: Any = None
_wrapped = "__bench_traced__"
# (module, attribute path, event): the page's steps, in the order a turn meets them.
PAGE_STEPS = (
    ("streamlit.runtime.state.session_state", "SessionState.on_script_will_rerun", "widget_states"),
    ("streamlit", "set_page_config", "page_config"),
    ("components.plumbing.config", "load_settings", "settings"),
    ("components.plumbing.identity", "require_identity", "identity"),
    ("components.sidebar", "chat_choice", "choice"),
    ("components.sidebar", "render_chat_sidebar", "sidebar"),
    ("components.chat_actions", "plan_turn", "plan_turn"),
    ("components.chat_actions", "_turn_for", "turn_for"),
    ("components.plumbing.usage", "reserve", "reserve"),
    ("components.plumbing.identity", "current_identity", "current_identity"),
    ("components.plumbing.storage", "RunStore.get", "store"),
    ("components.plumbing.chat_persistence", "TurnSaver.store_prompt", "store_prompt"),
    ("components.message", "render_recent_history", "history"),
    ("components.streaming", "prepare_lane", "prepare_lane"),
    ("components.streaming", "start_lanes", "start_lanes"),
    ("components.plumbing.config", "gateway_for", "client"),
    ("core.gateway.request", "build_request", "build_request"),
    ("core.gateway.pump", "EventPump.start", "pump_start"),
    ("components.stream_view", "StreamView._draw", "draw"),
    ("components.stream_view", "StreamView.finish", "view_finish"),
)


def record(event: str, **extra: Any) -> None:
    """One event, now."""
    line = {"t": time.monotonic(), "e": event, "th": threading.current_thread().name, **extra}
    with _lock:
        _file.write(json.dumps(line) + "\n")
        _file.flush()


def _traced(function: Callable[..., Any], event: str) -> Callable[..., Any]:
    if getattr(function, _wrapped, False):
        return function

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        record(f"{event}>")
        try:
            return function(*args, **kwargs)
        finally:
            record(f"{event}<")

    setattr(wrapper, _wrapped, True)
    return wrapper


def _wrap(module_name: str, path: str, event: str) -> None:
    """Wrap a function where it is defined and wherever `from module import name` copied it."""
    module = sys.modules.get(module_name)
    if module is None:
        return
    *owners, name = path.split(".")
    owner: Any = module
    for part in owners:
        owner = getattr(owner, part, None)
        if owner is None:
            return
    function = getattr(owner, name, None)
    if not callable(function) or getattr(function, _wrapped, False):
        return
    traced = _traced(function, event)
    setattr(owner, name, traced)
    if owners:
        return
    for other in list(sys.modules.values()):
        if getattr(other, name, None) is function:
            setattr(other, name, traced)


def _timed_outbox(pump: Any) -> None:
    """Mark when the pump thread puts the first text and the finish into its queue, and when the
    script thread gets them."""
    from core.gateway.events import Failure, Finish, TextDelta

    outbox = pump._outbox
    put, get = outbox.put, outbox.get
    seen = {"first_put": False, "first_got": False, "last_put": 0.0}

    def timed_put(item: Any, *args: Any, **kwargs: Any) -> Any:
        event = item[1] if isinstance(item, tuple) else None
        if isinstance(event, TextDelta):
            seen["last_put"] = time.monotonic()
            if not seen["first_put"]:
                seen["first_put"] = True
                record("first_delta_put")
        elif isinstance(event, Finish | Failure):
            record("last_delta_put", at=seen["last_put"])
            record("finish_put")
        return put(item, *args, **kwargs)

    def timed_get(*args: Any, **kwargs: Any) -> Any:
        item = get(*args, **kwargs)
        event = item[1] if isinstance(item, tuple) else None
        if isinstance(event, TextDelta) and not seen["first_got"]:
            seen["first_got"] = True
            record("first_delta_got")
        elif isinstance(event, Finish | Failure):
            record("finish_got")
        return item

    outbox.put, outbox.get = timed_put, timed_get


def _patch_app() -> None:
    """Wrap the page's steps that are loaded by now (the first run imports them)."""
    for module_name, path, event in PAGE_STEPS:
        _wrap(module_name, path, event)
    pump_module = sys.modules.get("core.gateway.pump")
    if pump_module is not None and not getattr(pump_module.EventPump.__init__, _wrapped, False):
        original_init = pump_module.EventPump.__init__

        def init(self: Any, *args: Any, **kwargs: Any) -> None:
            original_init(self, *args, **kwargs)
            _timed_outbox(self)

        setattr(init, _wrapped, True)
        pump_module.EventPump.__init__ = init
    httpx2 = sys.modules.get("httpx2")
    if httpx2 is not None:
        send = httpx2.Client.send
        if not getattr(send, _wrapped, False):

            def traced_send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
                if request.url.path.endswith("/chat/completions"):
                    record("http_send")
                return send(self, request, *args, **kwargs)

            setattr(traced_send, _wrapped, True)
            httpx2.Client.send = traced_send


def install() -> None:
    """Wrap Streamlit's entry points; the page's are wrapped at each script run."""
    global _file
    _file = open(os.environ["BENCH_TRACE"], "a", buffering=1)  # noqa: SIM115 (open for the process)

    from starlette.websockets import WebSocket
    from streamlit.runtime.app_session import AppSession
    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner
    from streamlit.web.server.starlette.starlette_websocket import StarletteSessionClient

    handle = AppSession.handle_backmsg

    def handle_backmsg(self: Any, msg: Any) -> Any:
        if msg.WhichOneof("type") == "rerun_script":
            record("backmsg")
        return handle(self, msg)

    AppSession.handle_backmsg = handle_backmsg  # type: ignore[method-assign]

    enqueue = AppSession._enqueue_forward_msg

    def enqueue_forward_msg(self: Any, msg: Any) -> Any:
        record("enqueue", kind=msg.WhichOneof("type"))
        return enqueue(self, msg)

    AppSession._enqueue_forward_msg = enqueue_forward_msg  # type: ignore[method-assign]

    run_script = ScriptRunner._run_script

    def traced_run_script(self: Any, rerun_data: Any) -> Any:
        record("run_start")
        _patch_app()
        try:
            return run_script(self, rerun_data)
        finally:
            record("run_end")

    ScriptRunner._run_script = traced_run_script  # type: ignore[method-assign]

    write = StarletteSessionClient.write_forward_msg
    StarletteSessionClient.write_forward_msg = _traced(write, "serialize")  # type: ignore[method-assign]

    send_bytes = WebSocket.send_bytes

    async def traced_send_bytes(self: Any, data: bytes) -> None:
        record("ws_send", size=len(data))
        await send_bytes(self, data)
        record("ws_sent")

    WebSocket.send_bytes = traced_send_bytes  # type: ignore[method-assign]
