"""A small OpenAI-compatible chat completions server for the benchmark, independent of the test
suite's stand-in: the stdlib's HTTP server, Server-Sent Events, TCP_NODELAY as real gateways set.

Run it in its own process (`python -m bench.sse_server --port N`) so its pacing does not share a
GIL with the bench. `PUT /bench/shape` sets how the following answers stream (JSON `Shape`
fields); `GET /bench/requests` lists what it served, with wall-clock and monotonic times.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_WORD = re.compile(r"\s*\S+\s*")


@dataclass
class Shape:
    """How an answer streams. `split` is "word" (one word per chunk, whitespace kept) or "char";
    `burst` chunks are written at once, every `burst * chunk_delay`; `pauses` are (chunk index,
    seconds) of silence; `role_chunk` sends a first chunk with only the role (no content key);
    `usage_chunk` ends with a chunk whose `choices` is empty and that carries the usage."""

    text: str = "Hello from the benchmark server."
    first_token_delay: float = 0.0
    chunk_delay: float = 0.0
    split: str = "word"
    burst: int = 1
    pauses: list[tuple[int, float]] = field(default_factory=list)
    role_chunk: bool = False
    usage_chunk: bool = False

    def pieces(self) -> list[str]:
        return list(self.text) if self.split == "char" else _WORD.findall(self.text)


class _State:
    def __init__(self) -> None:
        self.shape = Shape()
        self.records: list[dict[str, Any]] = []
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # as a production gateway behind nginx or a cloud LB
    state: _State

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the bench reads /bench/requests, not a log."""

    def _body(self) -> Any:
        raw = self.rfile.read(int(self.headers.get("content-length") or 0))
        return json.loads(raw) if raw else None

    def _json(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        with self.state.lock:
            records = list(self.state.records)
        if self.path == "/bench/requests":
            self._json(200, records)
        else:
            self._json(404, {"error": {"message": f"Unknown path {self.path}"}})

    def do_PUT(self) -> None:
        shape = Shape(**self._body())
        with self.state.lock:
            self.state.shape = shape
        self._json(200, {"chunks": len(shape.pieces())})

    def do_POST(self) -> None:
        record: dict[str, Any] = {"received_wall": time.time(), "received_mono": time.monotonic()}
        body = self._body()
        users = [m for m in body.get("messages", []) if m.get("role") == "user"]
        record["prompt"] = json.dumps(users[-1]["content"]) if users else ""
        with self.state.lock:
            shape = self.state.shape
            self.state.records.append(record)
        try:
            if body.get("stream"):
                self._stream(shape, record, body.get("model", "bench"))
            else:
                time.sleep(shape.first_token_delay)
                message = {"role": "assistant", "content": shape.text}
                choice = {"index": 0, "message": message, "finish_reason": "stop"}
                self._json(200, {"id": "chatcmpl-bench", "object": "chat.completion", "choices": [choice]})
            record["status"] = 200
        except (BrokenPipeError, ConnectionResetError):
            record["disconnected"] = True
            self.close_connection = True
        record["finished_mono"] = time.monotonic()
        record["finished_wall"] = time.time()

    def _stream(self, shape: Shape, record: dict[str, Any], model: str) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        base = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 0, "model": model}

        def event(choices: list[dict[str, Any]], **extra: Any) -> bytes:
            return b"data: " + json.dumps({**base, "choices": choices, **extra}).encode() + b"\n\n"

        def delta(content: dict[str, Any], finish: str | None = None) -> bytes:
            return event([{"index": 0, "delta": content, "finish_reason": finish}])

        self._send(delta({"role": "assistant"} if shape.role_chunk else {"role": "assistant", "content": ""}))
        time.sleep(shape.first_token_delay)
        pieces, pauses, burst = shape.pieces(), dict(shape.pauses), max(1, shape.burst)
        start, paused = time.monotonic(), 0.0
        for index in range(0, len(pieces), burst):
            paused += sum(pauses.get(i, 0.0) for i in range(index, index + burst))
            time.sleep(max(0.0, start + paused + index * shape.chunk_delay - time.monotonic()))
            self._send(b"".join(delta({"content": piece}) for piece in pieces[index : index + burst]))
            record.setdefault("first_chunk_mono", time.monotonic())
        usage = {"prompt_tokens": 10, "completion_tokens": len(pieces), "total_tokens": 10 + len(pieces)}
        ending = delta({}, "stop") + (event([], usage=usage) if shape.usage_chunk else b"")
        self._send(ending + b"data: [DONE]\n\n")
        record["last_chunk_mono"] = time.monotonic()
        self.wfile.write(b"0\r\n\r\n")

    def _send(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client closing its idle keep-alive connection is normal, not an error to print."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def serve(port: int) -> ThreadingHTTPServer:
    """A started server on 127.0.0.1:port (0 picks one), serving on a daemon thread."""
    handler = type("Handler", (_Handler,), {"state": _State()})
    server = _Server(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, name="sse-server", daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    server = serve(parser.parse_args().port)
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
