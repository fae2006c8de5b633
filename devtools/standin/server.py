"""A local HTTP server that follows the GPTProto chat completions contract, with scriptable faults.

Every test talks to it over loopback with the real `openai` client: it checks the key and the
body, answers each request with the next scripted reply (or the default one), streams in the
OpenAI chunk format, and records what it saw so tests can assert on the wire.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from devtools.standin.answer import Answer, plan_answer
from devtools.standin.replies import ErrorReply, Garbled, HangUp, Reply, Script
from devtools.standin.validation import check_body, has_images

DEFAULT_VISION_MODELS = ("gpt-4o", "gpt-4o-mini", "o4-mini", "o3")
# What `GET /v1/models` lists by default: chat models of several families (some that no
# configured list names) beside models the chat endpoint does not serve, as a gateway would.
DEFAULT_LISTED_MODELS = (
    ("o4-mini", "openai"),
    ("o3", "openai"),
    ("gpt-4o", "openai"),
    ("gpt-4o-mini", "openai"),
    ("gpt-4.1", "openai"),
    ("gpt-4.1-nano", "openai"),
    ("claude-sonnet-4-5", "anthropic"),
    ("gemini-2.5-flash", "google"),
    ("text-embedding-3-small", "openai"),
    ("dall-e-3", "openai"),
    ("gpt-image-1", "openai"),
    ("tts-1", "openai"),
    ("whisper-1", "openai"),
    ("omni-moderation-latest", "openai"),
)
# `models_fault`: how `GET /v1/models` fails, as a test switches it on.
MODEL_LIST_FAULTS = ("404", "401", "slow", "malformed", "wrong-shape")
SLOW_LIST_SECONDS = 5.0


@dataclass
class RecordedRequest:
    """One request as the stand-in saw it, and what happened to its response."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    received_at: float
    response_status: int | None = None
    chunks_sent: int = 0
    client_disconnected: bool = False
    finished_at: float | None = None
    received_wall: float = 0.0
    # Every byte of the response after its headers (chunk framing included), or the garbage a
    # Garbled script sent: what a redaction test checks the key was in.
    sent: bytearray = field(default_factory=bytearray)
    # When the first and the last content chunk of a streamed answer were written (monotonic).
    first_chunk_at: float | None = None
    last_chunk_at: float | None = None

    @property
    def is_listing(self) -> bool:
        """A read of the model list (`GET /v1/models`), not a chat request."""
        return self.method == "GET" and self.path.rstrip("/") == "/v1/models"


class _Gone(Exception):
    """The client went away (or the stand-in is stopping): stop writing."""


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up between requests is normal (Stop, cancelled retries)."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class StandIn:
    """The stand-in server; `start()` it, point the client at `base_url` with `api_key`."""

    def __init__(
        self,
        api_keys: Iterable[str] = ("sk-standin-test-key",),
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        default: Reply | None = None,
        vision_models: Iterable[str] = DEFAULT_VISION_MODELS,
        strict: bool = False,
    ) -> None:
        self.api_keys = tuple(api_keys)
        self.default: Script = default or Reply()
        self.vision_models = set(vision_models)
        self.reject_params: set[str] = set()
        # Parameters every model refuses with OpenAI's "Unsupported parameter" 400, or only the
        # models named: {"temperature": {"o3"}}; an empty set means every model.
        self.unsupported_params: dict[str, set[str]] = {}
        self.listed_models: list[tuple[str, str]] = list(DEFAULT_LISTED_MODELS)  # (id, owned_by)
        self.models_fault: str | None = None  # one of MODEL_LIST_FAULTS
        self.strict = strict
        self._script: deque[Script] = deque()
        self._per_model: dict[str, deque[Script]] = {}
        self._requests: list[RecordedRequest] = []
        self._listings: list[RecordedRequest] = []  # GET /v1/models, kept apart from chat requests
        self._changed = threading.Condition()
        self._ids = itertools.count(1)
        self._listing_ids = itertools.count(1)
        self.closing = threading.Event()
        self._server = _QuietServer((host, port), _Handler)
        self._server.standin = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    @property
    def api_key(self) -> str:
        return self.api_keys[0]

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> StandIn:
        self._thread = threading.Thread(target=self._server.serve_forever, name="standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.closing.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def enqueue(self, *scripts: Script) -> None:
        """Answer the next requests with these, in order; then the default again."""
        with self._changed:
            self._script.extend(scripts)

    def enqueue_for(self, model: str, *scripts: Script) -> None:
        """Answer the next requests for `model` with these, in order, before the shared queue."""
        with self._changed:
            self._per_model.setdefault(model, deque()).extend(scripts)

    def next_script(self, model: str | None = None) -> Script:
        with self._changed:
            own = self._per_model.get(model) if model is not None else None
            if own:
                return own.popleft()
            return self._script.popleft() if self._script else self.default

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._changed:
            return list(self._requests)

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> list[RecordedRequest]:
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._requests) >= count, timeout):
                raise TimeoutError(f"expected {count} requests, saw {len(self._requests)}")
            return list(self._requests)

    @property
    def listings(self) -> list[RecordedRequest]:
        """Every `GET /v1/models` seen (not among `requests`, which are the chat requests)."""
        with self._changed:
            return list(self._listings)

    def record(self, request: RecordedRequest) -> None:
        with self._changed:
            (self._listings if request.is_listing else self._requests).append(request)
            self._changed.notify_all()

    def request_id(self, listing: bool = False) -> str:
        # Model list reads count apart, so chat requests keep their ids whatever the app lists.
        if listing:
            return f"req_standin_models_{next(self._listing_ids):06d}"
        return f"req_standin_{next(self._ids):06d}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "GPTProtoStandIn/1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests assert on recorded requests, not on the log."""

    @property
    def standin(self) -> StandIn:
        return self.server.standin  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        self._start()
        try:
            if self.record.is_listing:
                return self._list_models()
            self._send_error(ErrorReply(404, f"Unknown path {self.path}", code="not_found"))
        except _Gone:
            self.close_connection = True

    def _list_models(self) -> None:
        fault = self.standin.models_fault
        if fault == "404":
            return self._send_error(ErrorReply(404, f"Unknown path {self.path}", code="not_found"))
        if fault == "401" or self._presented_key() not in self.standin.api_keys:
            return self._send_error(ErrorReply.unauthorized(self._presented_key()))
        if fault == "slow":
            self._pause(SLOW_LIST_SECONDS)
        if fault == "malformed":
            return self._send_raw(200, b'{"object": "list", "data": [{"id": "gpt-4o", "obj')
        listed = [
            {"id": model, "object": "model", "created": 1_700_000_000, "owned_by": owner}
            for model, owner in self.standin.listed_models
        ]
        if fault == "wrong-shape":
            return self._send_json(200, {"models": [model["id"] for model in listed]})
        self._send_json(200, {"object": "list", "data": listed})

    def do_POST(self) -> None:
        self._start()
        try:
            self._answer()
        except _Gone:
            self.record.client_disconnected = not self.standin.closing.is_set()
            self.close_connection = True
        finally:
            self.record.finished_at = time.monotonic()

    def _start(self) -> None:
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.record = RecordedRequest(
            self.command, self.path, headers, body, time.monotonic(), received_wall=time.time()
        )
        self.standin.record(self.record)

    def _answer(self) -> None:
        if self.path.rstrip("/") != "/v1/chat/completions":
            return self._send_error(ErrorReply(404, f"Unknown path {self.path}", code="not_found"))
        if self._presented_key() not in self.standin.api_keys:
            return self._send_error(ErrorReply.unauthorized(self._presented_key()))
        body = self.record.body
        problem = check_body(body, rejected=self.standin.reject_params, strict=self.standin.strict)
        if problem is None:
            problem = self._unsupported(body)
        if problem is None and has_images(body) and body["model"] not in self.standin.vision_models:
            problem = ErrorReply.no_vision(body["model"])
        if problem is not None:
            return self._send_error(problem)
        script = self.standin.next_script(body["model"])
        if isinstance(script, HangUp):
            self._pause(script.delay)
            return self._hang_up()
        if isinstance(script, Garbled):
            self._pause(script.delay)
            self._write(f"HTTP/1.1 4O1 Bad key {self._presented_key()}\r\n\r\n".encode())
            return self._hang_up()
        if isinstance(script, ErrorReply):
            self._pause(script.delay)
            return self._send_error(script)
        answer = plan_answer(script, body)
        if body.get("stream"):
            return self._stream(script, answer, body)
        return self._respond_whole(script, answer)

    def _unsupported(self, body: dict[str, Any]) -> ErrorReply | None:
        for name, models in self.standin.unsupported_params.items():
            if name in body and (not models or body["model"] in models):
                return ErrorReply.unsupported_parameter(name, body["model"])
        return None

    def _presented_key(self) -> str:
        value = self.headers.get("authorization", "").strip()
        return value[len("bearer ") :].strip() if value.lower().startswith("bearer ") else value

    # -- whole responses ------------------------------------------------------------------

    def _send_error(self, error: ErrorReply) -> None:
        self._send_json(error.status, error.body(), error.headers)

    def _respond_whole(self, reply: Reply, answer: Answer) -> None:
        self._pause(reply.first_token_delay)
        if reply.stall_after is not None:
            self._pause(reply.stall_seconds)
        if reply.drop_after is not None:
            return self._hang_up()
        self._send_json(
            200,
            {
                "id": f"chatcmpl-{self.record.received_at:.6f}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": answer.model,
                "system_fingerprint": "fp_standin",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": answer.text},
                        "finish_reason": answer.finish_reason,
                    }
                ],
                "usage": answer.usage,
            },
        )

    def _send_json(self, status: int, payload: object, headers: dict[str, str] | None = None) -> None:
        self._send_raw(status, json.dumps(payload).encode(), headers)

    def _send_raw(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
        self.record.response_status = status
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-request-id", self.standin.request_id(self.record.is_listing))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self._write(data)

    def _hang_up(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    # -- streaming ------------------------------------------------------------------------

    def _stream(self, reply: Reply, answer: Answer, body: dict[str, Any]) -> None:
        options = body.get("stream_options")
        with_usage = isinstance(options, dict) and options.get("include_usage") is True
        self.record.response_status = 200
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("x-request-id", self.standin.request_id())
        self.end_headers()
        chunk = _ChunkMaker(answer.model, with_usage)
        self._event(chunk.delta({"role": "assistant", "content": ""}))
        self._pause(reply.first_token_delay)
        # Chunks keep to a schedule (one every chunk_delay from the first), like a model producing
        # tokens at a rate: the stream's length does not drift with this server's own load.
        started = time.monotonic()
        for index, piece in enumerate(reply.chunks(answer.text)):
            if self._fault_before_chunk(reply, index):
                return
            if index:
                self._pause(started + index * reply.chunk_delay - time.monotonic())
            self._event(chunk.delta({"content": piece}))
            self.record.last_chunk_at = time.monotonic()
            if self.record.first_chunk_at is None:
                self.record.first_chunk_at = self.record.last_chunk_at
            self.record.chunks_sent += 1
        if self._fault_before_chunk(reply, self.record.chunks_sent, at_end=True):
            return
        self._event(chunk.delta({}, answer.finish_reason))
        if with_usage:
            self._event(chunk.usage(answer.usage))
        self._end_stream(reply.send_done)

    def _fault_before_chunk(self, reply: Reply, index: int, at_end: bool = False) -> bool:
        """Acts out a scripted fault due before content chunk `index`; True ends the stream."""
        if reply.stall_after == index:
            self._pause(reply.stall_seconds)
        if reply.garbage_after == index:
            self._write_chunk(b'data: {"choices": [{"delta": {"content": "oops"\n\n')
        if reply.error_event_after == index:
            error = {
                "message": reply.error_message,
                "type": "server_error",
                "param": None,
                "code": "stream_error",
            }
            self._event({"error": error})
        if reply.drop_after == index:
            self._hang_up()
            return True
        if reply.cut_after == index or (at_end and reply.cut_after is not None and reply.cut_after > index):
            self._end_stream(reply.send_done)
            return True
        return False

    def _event(self, payload: dict[str, Any]) -> None:
        self._write_chunk(b"data: " + json.dumps(payload).encode() + b"\n\n")

    def _end_stream(self, send_done: bool) -> None:
        if send_done:
            self._write_chunk(b"data: [DONE]\n\n")
        self._write(b"0\r\n\r\n")

    def _write_chunk(self, data: bytes) -> None:
        self._write(b"%x\r\n%s\r\n" % (len(data), data))

    def _write(self, data: bytes) -> None:
        if self.standin.closing.is_set():
            raise _Gone
        self.record.sent += data
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError) as gone:
            raise _Gone from gone

    def _pause(self, seconds: float) -> None:
        """Wait, noticing at once if the client closes the connection meanwhile."""
        deadline = time.monotonic() + seconds
        # A selector rather than select(): in a long test run the socket's number can pass 1,024,
        # which select() refuses.
        with selectors.DefaultSelector() as selector:
            selector.register(self.connection, selectors.EVENT_READ)
            self._wait_for_close(selector, deadline)

    def _wait_for_close(self, selector: selectors.BaseSelector, deadline: float) -> None:
        while (remaining := deadline - time.monotonic()) > 0:
            if self.standin.closing.is_set():
                raise _Gone
            readable = selector.select(min(remaining, 0.05))
            if not readable:
                continue
            try:
                peeked = self.connection.recv(1, socket.MSG_PEEK)
            except OSError:
                peeked = b""
            if not peeked:
                raise _Gone
            time.sleep(min(remaining, 0.05))


class _ChunkMaker:
    """`chat.completion.chunk` payloads for one streamed answer."""

    def __init__(self, model: str, with_usage: bool) -> None:
        self.model = model
        self.with_usage = with_usage
        self.created = int(time.time())

    def _base(self, choices: list[dict[str, Any]]) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "id": f"chatcmpl-standin-{self.created}",
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": "fp_standin",
            "choices": choices,
        }
        if self.with_usage:
            payload["usage"] = None
        return payload

    def delta(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return self._base([{"index": 0, "delta": delta, "finish_reason": finish_reason}])

    def usage(self, usage: dict[str, Any]) -> dict[str, Any]:
        payload = self._base([])
        payload["usage"] = usage
        return payload
