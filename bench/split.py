"""Where a turn's time goes, from the key press: up to the request, and from the gateway's last
chunk to the last word on screen. Optionally a py-spy profile of the server while it streams.

Run from the repository root:
`.venv/bin/python -m bench.split [--apps ours,ours_run] [--words 2000] [--turns 5] [--profile DIR]`.

Each app runs with bench/trace.py loaded (timestamps at Streamlit's and the page's steps, a few
microseconds each), is warmed up, then streams `--turns` answers (200 ms before the first token,
one word per chunk every 5 ms) from bench/sse_server.py. The page records the key press, the
first websocket message, the first word and the last line; CDP records when each websocket
frame reached the browser. All times are put on the monotonic clock and medians are printed.
With `--profile DIR`, the server runs without the tracer and `py-spy record` samples it during
the turns (all threads, idle included; and only the thread holding the GIL); a summary by what
each sampled thread was doing, and the packages and functions on top of its stack, is printed.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from bench.answer_text import make_answer
from bench.frames import DeliveryClock, FrameCounter
from bench.harness import (
    ROOT,
    BenchServer,
    StreamlitApp,
    arm_and_send,
    median,
    new_prompt,
    open_chat,
    out,
    settle,
    wait_final,
)
from bench.report import machine, write_json
from devtools.browser import CHROMIUM, CHROMIUM_ARGS

SITECUSTOMIZE = (
    "import os\nif os.environ.get('BENCH_TRACE'):\n    import bench.trace\n    bench.trace.install()\n"
)

# (label, from, to): events are trace events, or page:/gateway:/cdp: times.
BEFORE_REQUEST = (
    ("browser: key press to websocket message sent", "page:key", "page:sent"),
    ("websocket message to rerun request handled", "page:sent", "backmsg"),
    ("rerun request to script run start", "backmsg", "run_start"),
)
# After the script run starts, the page's traced steps follow in the order they ran (see
# page_steps); then the request itself:
REQUEST = (
    ("pump thread: openai builds and sends", "pump_start>", "http_send"),
    ("HTTP send to gateway receipt", "http_send", "gateway:received"),
    ("= key press to gateway receipt", "page:key", "gateway:received"),
)
FIRST_WORD = (
    ("gateway's first chunk to pump put (read, parse)", "gateway:first_chunk", "first_delta_put"),
    ("queue hand-off to the script thread", "first_delta_put", "first_delta_got"),
    ("script thread: to first draw done", "first_delta_got", "first_draw<"),
    ("first draw to websocket send", "first_draw<", "first_ws_send"),
    ("websocket send to browser receipt (CDP)", "first_ws_send", "cdp:first"),
    ("browser receipt to first word in the DOM", "cdp:first", "page:first"),
    ("= gateway's first chunk to first word shown", "gateway:first_chunk", "page:first"),
)
LAST_WORD = (
    ("gateway's last chunk to pump put (read, parse)", "gateway:last_chunk", "last_delta_put"),
    ("last text to finish put", "last_delta_put", "finish_put"),
    ("queue hand-off to the script thread", "finish_put", "finish_got"),
    ("script thread: StreamView.finish()", "finish_got", "view_finish<"),
    ("finish drawn to websocket send", "view_finish<", "final_ws_send"),
    ("websocket send to browser receipt (CDP)", "final_ws_send", "cdp:final"),
    ("browser receipt to last line in the DOM", "cdp:final", "page:final"),
    ("= gateway's last chunk to last word shown", "gateway:last_chunk", "page:final"),
)


def read_events(path: Path, offset: int) -> tuple[list[dict[str, Any]], int]:
    with path.open() as trace:
        trace.seek(offset)
        text = trace.read()
        return [json.loads(line) for line in text.splitlines() if line.strip()], offset + len(text)


def moments(
    events: list[dict[str, Any]],
    seen: dict[str, float | None],
    request: dict[str, Any],
    clock: DeliveryClock,
    wall_minus_mono: float,
) -> dict[str, float]:
    """Every named moment of one turn, monotonic seconds."""
    found: dict[str, float] = {}
    for name in ("key", "sent", "first", "final"):
        value = seen[name]
        if value is not None:
            found[f"page:{name}"] = value - wall_minus_mono
    found["gateway:received"] = request["received_mono"]
    for name in ("first_chunk", "last_chunk"):
        if f"{name}_mono" in request:
            found[f"gateway:{name}"] = request[f"{name}_mono"]
    key = found["page:key"]
    for event in events:
        if event["t"] < key - 0.001:
            continue
        label = event["e"]
        if label == "last_delta_put":
            found.setdefault(label, event["at"])
        elif label == "draw<":
            found.setdefault("first_draw<", event["t"])
        else:
            found.setdefault(label, event["t"])  # the first after the key press
    for name in ("first", "final"):
        shown = found.get(f"page:{name}")
        arrived = clock.last_before(shown + 0.001) if shown is not None else None
        if arrived is not None:
            found[f"cdp:{name}"] = arrived
            sends = [e["t"] for e in events if e["e"] == "ws_send" and e["t"] <= arrived]
            if sends:
                found[f"{name}_ws_send"] = max(sends)
    return found


def frame_delays(events: list[dict[str, Any]], clock: DeliveryClock, key: float) -> dict[str, float]:
    """Each websocket frame of the turn from its send (server) to its receipt (CDP), paired in
    order; empty when the counts differ. CDP reports a frame when the page's renderer takes it,
    so this includes waiting for the page's main thread (busy drawing the previous frames), not
    only the network; a frame held back by Nagle's algorithm would add about 40 ms."""
    sends = [e["t"] for e in events if e["e"] == "ws_send" and e["t"] >= key]
    received = [t for t in clock.received if t >= key]
    if not sends or len(sends) != len(received):
        return {}
    delays = sorted((got - sent) * 1000 for sent, got in zip(sends, received, strict=True))
    return {
        "frames": float(len(delays)),
        "median send to receipt": delays[len(delays) // 2],
        "90th percentile": delays[int(len(delays) * 0.9)],
        "slowest": delays[-1],
        "frames taking >= 30 ms": float(sum(delay >= 30 for delay in delays)),
    }


FRAMES = tuple(
    (label, "", "")
    for label in ("frames", "median send to receipt", "90th percentile", "slowest", "frames taking >= 30 ms")
)


# Each table's key (in the JSON), title and rows.
TABLES = (
    ("before", "Key press to the script run", BEFORE_REQUEST),
    ("request", "Pump start to the request at the gateway", REQUEST),
    ("first", "First word", FIRST_WORD),
    ("last", "Last word", LAST_WORD),
    ("frames", "Websocket frames of the turn, server send to receipt in the page (CDP)", FRAMES),
)


def segments(turn: dict[str, float], table: tuple[tuple[str, str, str], ...]) -> dict[str, float]:
    return {
        label: (turn[end] - turn[start]) * 1000
        for label, start, end in table
        if start in turn and end in turn
    }


def page_steps(events: list[dict[str, Any]], found: dict[str, float]) -> dict[str, float]:
    """The script thread's traced steps from the run's start to the pump's start, in the order
    they ran: each step's time (nested steps indented under theirs) and the untraced page code
    between top-level steps."""
    begin, until = found.get("run_start"), found.get("pump_start>")
    if begin is None or until is None:
        return {}
    thread = next((e["th"] for e in events if e["e"] == "run_start" and e["t"] == begin), None)
    result: dict[str, float] = {}
    open_steps: list[tuple[str, float]] = []
    last_end = begin
    for event in events:
        name, moment = event["e"], event["t"]
        if moment < begin or moment > until or event["th"] != thread or name[-1:] not in "<>":
            continue
        step = name[:-1]
        if name.endswith(">"):
            if not open_steps:
                label = f"page code before {step}()"
                result[label] = result.get(label, 0.0) + (moment - last_end) * 1000
            open_steps.append((step, moment))
        elif open_steps and open_steps[-1][0] == step:
            _, started = open_steps.pop()
            label = "  " * len(open_steps) + f"{step}()"
            result[label] = result.get(label, 0.0) + (moment - started) * 1000
            if not open_steps:
                last_end = moment
    return result


# What a sampled stack is doing, by a frame it contains (py-spy's thread names go stale when a
# thread id is reused, so stacks are classified by their frames).
ROLES = (
    ("EventPump._run", "pump thread (reads and parses chunks)"),
    ("ScriptRunner._run_script", "script thread (the page)"),
    ("PollingPathWatcher", "polling file watchers"),
    ("BaseEventLoop.run_forever", "event loop (websocket, flushes)"),
)


def _role(frames: list[str]) -> str:
    for marker, role in ROLES:
        if any(marker in frame for frame in frames):
            return role
    return "other"


def _package(frame: str) -> str:
    """`Queue.put (queue.py:152)` -> `queue`; `construct_type (openai/_models.py:695)` -> `openai`."""
    location = frame.rpartition(" (")[2].rstrip(")")
    return location.split("/")[0].split(".py")[0] or "?"


def profile_summary(raw: Path, top: int = 5) -> str:
    """py-spy's raw (collapsed) stacks by what the thread was doing, and for each, the packages
    and functions most often on top of its stack."""
    roles: Counter[str] = Counter()
    packages: dict[str, Counter[str]] = defaultdict(Counter)
    leaves: dict[str, Counter[str]] = defaultdict(Counter)
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = stack.split(";")[1:]  # the first is the thread
        if not frames:
            continue
        role = _role(frames)
        roles[role] += count
        packages[role][_package(frames[-1])] += count
        leaves[role][frames[-1]] += count
    total = sum(roles.values()) or 1
    lines = [f"  {total} samples"]
    for role, count in roles.most_common():
        lines.append(f"  {100 * count / total:5.1f}%  {role}")
        shares = ", ".join(f"{name} {100 * n / total:.1f}%" for name, n in packages[role].most_common(top))
        lines.append(f"           on top: {shares}")
        for leaf, leaf_count in leaves[role].most_common(3):
            lines.append(f"           {100 * leaf_count / total:5.1f}%  {leaf}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--apps", default="ours,ours_run", help="ours (serve.py) and/or ours_run")
    parser.add_argument("--words", type=int, default=2000)
    parser.add_argument("--turns", type=int, default=5)
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        help="each turn in a stored conversation of this many exchanges (S3: 150)",
    )
    parser.add_argument("--profile", type=Path, help="record py-spy profiles of the server into DIR")
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "split.json")
    args = parser.parse_args(argv)
    apps = [name.strip() for name in args.apps.split(",") if name.strip()]
    if args.profile and not shutil.which("py-spy", path=str(Path(sys.executable).parent)):
        parser.error("--profile needs py-spy: .venv/bin/pip install py-spy")
    workdir = Path(tempfile.mkdtemp(prefix="gptproto-split-"))
    (workdir / "site").mkdir()
    (workdir / "site" / "sitecustomize.py").write_text(SITECUSTOMIZE)
    answer = make_answer(args.words, seed=2)
    server = BenchServer()
    results: dict[str, list[dict[str, float]]] = {}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name in apps:
                results[name] = run_app(name, server, browser, workdir, answer, args)
            browser.close()
    finally:
        server.stop()
    step_labels = list(dict.fromkeys(k for name in apps for turn in results[name] for k in turn))
    steps = tuple((k.split("/", 1)[1], "", "") for k in step_labels if k.startswith("steps/"))
    printed = [TABLES[0], ("steps", "Script run start to pump start, the page's steps in order", steps)]
    for key, title, table in [*printed, *TABLES[1:]]:
        if not table:
            continue
        out(f"\n{title} (median ms of {args.turns} turns)")
        width = max(len(label) for label, _, _ in table)
        out("  " + " " * width + "".join(f"{name:>10}" for name in apps))
        for label, _, _ in table:
            cells = []
            for name in apps:
                value = median([seg[f"{key}/{label}"] for seg in results[name] if f"{key}/{label}" in seg])
                cells.append(f"{value:10.1f}" if value is not None else f"{'-':>10}")
            out(f"  {label.ljust(width)}{''.join(cells)}")
    write_json(
        args.output,
        {
            "command": shlex.join(
                [sys.executable, "-m", "bench.split", *(sys.argv[1:] if argv is None else argv)]
            ),
            "machine": machine(),
            "turns": results,
        },
    )
    out(f"\nwrote {args.output}")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


def run_app(
    name: str, server: BenchServer, browser: Any, workdir: Path, answer: str, args: argparse.Namespace
) -> list[dict[str, float]]:
    trace = workdir / f"{name}.trace.jsonl"
    trace.touch()
    site = str(workdir / "site")
    # A profiled run is not traced, so the profile shows the app as it runs without the tracer.
    app = StreamlitApp(name, server, workdir, {"BENCH_TRACE": "" if args.profile else str(trace)})
    app.env["PYTHONPATH"] = f"{site}:{app.env['PYTHONPATH']}"
    app.start()
    url = app.url
    if args.history:
        from bench.scenarios.s3_stored_conversation import seed_conversation

        conversation, _ = seed_conversation(app.workdir / "data", args.history)
        url = f"{app.url}/?c={conversation}"
    turns: list[dict[str, float]] = []
    profilers: list[subprocess.Popen[bytes]] = []
    try:
        warm = make_answer(40, seed=99)
        server.shape(warm)
        for _ in range(2):  # the first run imports the page's modules; the second traces them
            one_turn(app, url, server, browser, warm, trace)
        server.shape(answer, first_token_delay=0.2, chunk_delay=0.005)
        if args.profile:
            profilers = start_profiles(app, args.profile, name)
        for index in range(args.turns):
            turn = one_turn(app, url, server, browser, answer, trace)
            turns.append(turn)
            totals = [f"{k.split('/= ')[1]}: {v:.1f} ms" for k, v in turn.items() if "/= " in k]
            out(f"  {name} turn {index + 1}: {', '.join(totals)}")
    finally:
        for profiler in profilers:
            profiler.send_signal(signal.SIGINT)
        for profiler in profilers:
            profiler.wait(timeout=60)
        app.stop()
    if args.profile:
        for kind in ("all", "gil"):
            out(f"\npy-spy, {name}, {kind} threads ({args.profile / f'{name}-{kind}.txt'}):")
            out(profile_summary(args.profile / f"{name}-{kind}.txt"))
    return turns


def start_profiles(app: StreamlitApp, directory: Path, name: str) -> list[subprocess.Popen[bytes]]:
    assert app.process is not None
    directory.mkdir(parents=True, exist_ok=True)
    py_spy = str(Path(sys.executable).parent / "py-spy")
    common = [py_spy, "record", "--pid", str(app.process.pid), "--rate", "100", "--format", "raw"]
    common += ["--threads", "--nonblocking"]
    return [
        subprocess.Popen(
            [*common, *extra, "-o", str(directory / f"{name}-{kind}.txt")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for kind, extra in (("all", ["--idle"]), ("gil", ["--gil"]))
    ]


def one_turn(
    app: StreamlitApp, url: str, server: BenchServer, browser: Any, answer: str, trace: Path
) -> dict[str, float]:
    _, offset = read_events(trace, 0)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        counter = FrameCounter()
        page = open_chat(context, url, counter)
        clock = DeliveryClock(page)
        settle(page, counter, quiet_s=0.5)
        prompt = new_prompt(f"split-{app.name}")
        arm_and_send(page, prompt, answer)
        seen = wait_final(page, 120)
        wall_minus_mono = time.time() - time.monotonic()
        request = server.request_for(prompt)
        settle(page, counter, quiet_s=0.5)
        events, _ = read_events(trace, offset)
        found = moments(events, seen, request, clock, wall_minus_mono)
        delays = frame_delays(events, clock, found["page:key"])
    finally:
        context.close()
    turn = {f"frames/{label}": value for label, value in delays.items()}
    for key, _, table in TABLES[:4]:
        turn.update({f"{key}/{label}": value for label, value in segments(found, table).items()})
    turn.update({f"steps/{label}": value for label, value in page_steps(events, found).items()})
    return turn


if __name__ == "__main__":
    raise SystemExit(main())
