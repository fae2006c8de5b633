"""The stand-in gateway for the load scenario, in its own process (the load generator's process
is gevent-patched and busy): every request gets the same N-word answer at a model's pace.

    .venv/bin/python -m bench.fleet_load.standin --port 0 --stats-port 0 --words 300

Its first line is `ready <base_url> <stats_url>`. The stats URL answers JSON counts of what the
stand-in did (requests, streams sent to the end, streams the client left), so the scenario can
check every prompt reached the gateway and every answer left it. SIGTERM stops it.
"""

from __future__ import annotations

import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.answer_text import make_answer
from devtools.process import run_until_stopped
from devtools.standin import Reply, StandIn

API_KEY = "sk-fleet-load"


def answer_text(words: int) -> str:
    """The answer every request gets (bench/answer_text.py's deterministic markdown)."""
    return make_answer(words)


def counts(server: StandIn) -> dict[str, int]:
    """What the stand-in has done so far."""
    requests = [r for r in server.requests if r.path.rstrip("/") == "/v1/chat/completions"]
    return {
        "requests": len(requests),
        "finished": sum(r.finished_at is not None for r in requests),
        "completed": sum(
            r.finished_at is not None and not r.client_disconnected and r.response_status == 200
            for r in requests
        ),
        "client_disconnected": sum(r.client_disconnected for r in requests),
        "chunks_sent": sum(r.chunks_sent for r in requests),
    }


def stats_server(server: StandIn, port: int) -> ThreadingHTTPServer:
    class Stats(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(counts(server)).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    stats = ThreadingHTTPServer(("127.0.0.1", port), Stats)
    stats.daemon_threads = True
    threading.Thread(target=stats.serve_forever, name="stats", daemon=True).start()
    return stats


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fleet_load.standin", description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--stats-port", type=int, default=0)
    parser.add_argument("--key", default=API_KEY)
    parser.add_argument("--words", type=int, default=300)
    parser.add_argument("--chunk-delay", type=float, default=0.01, help="seconds between chunks")
    parser.add_argument("--first-token-delay", type=float, default=0.2)
    args = parser.parse_args(argv)
    reply = Reply(
        text=answer_text(args.words),
        chunk_delay=args.chunk_delay,
        first_token_delay=args.first_token_delay,
        chunk_words=1,
    )
    server = StandIn([args.key], port=args.port, default=reply).start()
    stats = stats_server(server, args.stats_port)
    print(f"ready {server.base_url} http://127.0.0.1:{stats.server_address[1]}/", flush=True)
    try:
        run_until_stopped()
    finally:
        stats.shutdown()
        server.stop()


if __name__ == "__main__":
    main()
