"""Streaming benchmark: the raw client (floor), the tutorial chatbot (reference) and our app.

Run from the repository root: `.venv/bin/python -m bench.run [--reps 3] [--quick] [--only S1,S2]`.
One stand-in gateway runs in this process; each app runs on a free port (ours through serve.py, as
deployed; the reference under `streamlit run`) and is driven in headless Chromium. Times are
wall-clock seconds relative to the moment the stand-in received the request, so the floor and the
apps are measured from the same instant.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openai
import streamlit
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.answer_text import FIRST_WORD, last_line, make_answer
from devtools.browser import CHROMIUM, CHROMIUM_ARGS, free_port
from devtools.process import app_command, stop_process, streamlit_command, wait_healthy
from devtools.standin import RecordedRequest, Reply, StandIn

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "latest.json"
API_KEY = "sk-bench"
SESSION_TTL_S = 5  # server.disconnectedSessionTTL for the bench (Streamlit's default is 120 s)
APPS = {"reference": ROOT / "bench" / "reference_app.py", "ours": ROOT / "app.py"}
CONTENDERS = ("floor", "reference", "ours")

TARGETS = {
    "S1.overhead_ms": 50.0,
    "S2.lag_ms": 150.0,
    "S2.bytes_ratio": 3.0,
    "S3.paint_s": 1.5,
    "S4.slowdown": 1.5,
    "S5.mb_per_session": 3.0,
    "S5.recovery": 1.2,
    "S6.health_s": 3.0,
    "S6.paint_s": 2.0,
}

# Records when the assistant bubble first shows the first word and when it shows the last line.
# textContent is checked on every DOM change (cheap); innerText (what is rendered, but forces
# layout) only once textContent matches, so the probe does not slow the page it measures.
OBSERVER_JS = """
([index, first, final]) => {
  const state = {first: null, final: null};
  window.__bench = state;
  window.__benchDone = new Promise((resolve) => { state.resolve = resolve; });
  const shows = (bubble, words) => bubble.textContent.includes(words) && bubble.innerText.includes(words);
  const check = () => {
    const bubble = document.querySelectorAll('[data-testid="stChatMessage"]')[index];
    if (!bubble) return;
    const now = Date.now();
    if (state.first === null && shows(bubble, first)) state.first = now;
    if (state.final === null && shows(bubble, final)) {
      state.final = now;
      observer.disconnect();
      state.resolve({first: state.first, final: state.final});
    }
  };
  // Mutation callbacks already come batched, once per microtask checkpoint.
  const observer = new MutationObserver(check);
  observer.observe(document.body, {childList: true, subtree: true, characterData: true});
}
"""
WAIT_JS = """
(ms) => Promise.race([
  window.__benchDone,
  new Promise((_, reject) => setTimeout(() => reject(new Error(`no final text after ${ms} ms`)), ms)),
])
"""
ERRORS_JS = """
() => document.querySelectorAll(
  '[data-testid="stException"], [data-testid="stAlertContentError"]').length
"""


def out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def median(values: list[float]) -> float | None:
    clean = [v for v in values if v is not None]
    return statistics.median(clean) if clean else None


# -- processes -------------------------------------------------------------------------------


def bench_env(standin: StandIn, data_dir: Path) -> dict[str, str]:
    """This process's environment without app or Streamlit settings, plus the stand-in's."""
    drop = ("STREAMLIT_", "GPTPROTO_", "OPENAI_", "DATABASE_URL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(
        GPTPROTO_BASE_URL=standin.base_url, GPTPROTO_API_KEY=standin.api_key, GPTPROTO_DATA_DIR=str(data_dir)
    )
    return env


class StreamlitApp:
    """`streamlit run <script>` on a free port, in a scratch directory holding the repo's config."""

    def __init__(self, name: str, standin: StandIn, workdir: Path) -> None:
        self.name = name
        self.script = APPS[name]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir / f"{name}-{self.port}"
        (self.workdir / ".streamlit").mkdir(parents=True)
        # The deployed config (no file watcher, theme...) for both apps; never the secrets.
        shutil.copy(ROOT / ".streamlit" / "config.toml", self.workdir / ".streamlit" / "config.toml")
        self.env = bench_env(standin, self.workdir / "data")
        self.env["PYTHONPATH"] = str(ROOT)
        self.log_path = self.workdir / "streamlit.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.health_s: float | None = None

    def command(self) -> list[str]:
        ttl = ("--server.disconnectedSessionTTL", str(SESSION_TTL_S))
        if self.name == "ours":
            return app_command(self.port, *ttl)  # as deployed: serve.py
        return streamlit_command(self.script, self.port, *ttl)

    def start(self, timeout: float = 60.0) -> StreamlitApp:
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command(), cwd=self.workdir, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self.health_s = wait_healthy(self.url, self.process, self.log, timeout)
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""

    def rss_mb(self) -> float:
        """VmRSS of the server and all its descendants, in MB."""
        assert self.process is not None
        total_kb = 0
        pending = [self.process.pid]
        while pending:
            pid = pending.pop()
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total_kb += int(line.split()[1])
                for task in Path(f"/proc/{pid}/task").iterdir():
                    pending += [int(child) for child in (task / "children").read_text().split()]
        return total_kb / 1024

    def stop(self) -> None:
        stop_process(self.process)


# -- the stand-in and the floor --------------------------------------------------------------


_nonce = itertools.count(1)


def new_prompt(label: str) -> str:
    return f"Benchmark {label} request {next(_nonce)} {time.time_ns()}"


def request_for(standin: StandIn, prompt: str, timeout: float = 30.0) -> RecordedRequest:
    """The chat request whose body carries this prompt."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for request in reversed(standin.requests):
            if request.path.startswith("/v1/chat/completions") and prompt in json.dumps(request.body):
                return request
        time.sleep(0.02)  # the request may still be on its way
    raise TimeoutError(f"the stand-in never saw a request for {prompt!r}")


def requests_for(standin: StandIn, prompt: str) -> int:
    return sum(prompt in json.dumps(r.body) for r in standin.requests if r.path.endswith("/completions"))


def measure_floor(standin: StandIn, client: openai.OpenAI) -> dict[str, Any]:
    """The raw client reading the stream: first and last content chunk after receipt."""
    prompt = new_prompt("floor")
    first = last = None
    stream = client.chat.completions.create(
        model="o4-mini", messages=[{"role": "user", "content": prompt}], stream=True
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            last = time.time()
            first = first or last
    request = request_for(standin, prompt)
    assert first is not None and last is not None, "the floor saw no content"
    return {"first_s": first - request.received_wall, "last_s": last - request.received_wall}


# -- the browser -----------------------------------------------------------------------------


@dataclass
class FrameCounter:
    """Bytes of websocket frames the page receives while `counting` is on."""

    counting: bool = False
    bytes: int = 0
    frames: int = 0
    last_frame_at: float = 0.0
    sockets: list[Any] = field(default_factory=list)
    payloads: list[bytes] = field(default_factory=list)

    def attach(self, page: Page) -> None:
        page.on("websocket", self._on_socket)

    def _on_socket(self, socket: Any) -> None:
        self.sockets.append(socket)
        socket.on("framereceived", self._on_frame)

    def _on_frame(self, payload: bytes | str) -> None:
        self.last_frame_at = time.monotonic()
        if self.counting:
            raw = payload if isinstance(payload, bytes) else payload.encode()
            self.bytes += len(raw)
            self.frames += 1
            self.payloads.append(raw)

    def start(self) -> None:
        self.counting, self.bytes, self.frames = True, 0, 0
        self.payloads.clear()

    def snapshot(self) -> tuple[int, int]:
        return self.bytes, self.frames


def breakdown(payloads: list[bytes]) -> dict[str, Any]:
    """Where the websocket bytes go: bytes per Streamlit message kind (`element:markdown`...),
    and how many of them are markdown text."""
    sizes: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    markdown_text = 0
    for raw in payloads:
        message = ForwardMsg()
        try:
            message.ParseFromString(raw)
        except Exception:  # not a ForwardMsg: count it as such
            sizes["unparsed"] += len(raw)
            counts["unparsed"] += 1
            continue
        kind = message.WhichOneof("type") or "empty"
        if kind == "delta":
            delta_kind = message.delta.WhichOneof("type")
            if delta_kind == "new_element":
                element = message.delta.new_element.WhichOneof("type")
                kind = f"element:{element}"
                if element == "markdown":
                    markdown_text += len(message.delta.new_element.markdown.body.encode())
            else:
                kind = f"delta:{delta_kind}"
        sizes[kind] += len(raw)
        counts[kind] += 1
    return {
        "bytes": dict(sizes.most_common()),
        "messages": dict(counts),
        "markdown_text_bytes": markdown_text,
    }


def open_chat(context: BrowserContext, url: str, counter: FrameCounter | None = None) -> Page:
    page = context.new_page()
    page.set_default_timeout(60_000)
    if counter is not None:
        counter.attach(page)
    page.goto(url)
    page.get_by_test_id("stChatInputTextArea").wait_for(state="visible")
    return page


def arm_and_send(page: Page, prompt: str, answer: str) -> float:
    """Install the observer for the next assistant bubble, send the prompt; the send time."""
    index = page.locator('[data-testid="stChatMessage"]').count() + 1
    page.evaluate(OBSERVER_JS, [index, FIRST_WORD, last_line(answer)])
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(prompt)
    sent = time.time()
    box.press("Enter")
    return sent


def wait_final(page: Page, timeout_s: float) -> dict[str, float | None]:
    """Epoch seconds of the first word and the last line; resolves the moment the last shows."""
    state = page.evaluate(WAIT_JS, timeout_s * 1000)
    return {k: (v / 1000 if v is not None else None) for k, v in state.items()}


def settle(page: Page, counter: FrameCounter, quiet_s: float = 1.0, limit_s: float = 30.0) -> None:
    """Wait until the page has received no websocket frame for `quiet_s` (the run is over)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        page.wait_for_timeout(200)
        if time.monotonic() - counter.last_frame_at >= quiet_s:
            return


def measure_app(
    browser: Browser, app: StreamlitApp, standin: StandIn, answer: str, timeout_s: float
) -> dict[str, Any]:
    """One turn in a fresh session: first word and last line in the DOM, websocket bytes."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        counter = FrameCounter()
        page = open_chat(context, app.url, counter)
        prompt = new_prompt(app.name)
        counter.start()
        sent = arm_and_send(page, prompt, answer)
        try:
            seen = wait_final(page, timeout_s)
        except Exception as exc:  # a timeout is a result, not a crash
            return {
                "error": f"no final text within {timeout_s:.0f} s: {str(exc)[:200]}",
                "timed_out_s": timeout_s,
                "ws_bytes_so_far": counter.bytes,
                "ws_frames_so_far": counter.frames,
            }
        at_final, frames_at_final = counter.snapshot()
        where = breakdown(counter.payloads)
        settle(page, counter)
        request = request_for(standin, prompt)
        received = request.received_wall
        stream_end = received + (request.finished_at or request.received_at) - request.received_at
        return {
            "send_to_request_s": received - sent,
            "first_s": seen["first"] - received if seen["first"] else None,
            "final_s": seen["final"] - received,
            "stream_end_s": stream_end - received,
            "final_after_stream_end_s": seen["final"] - stream_end,
            "ws_bytes": at_final,
            "ws_frames": frames_at_final,
            "ws_bytes_settled": counter.bytes,
            "ws_breakdown": where,
            "requests": requests_for(standin, prompt),
            "page_errors": page.evaluate(ERRORS_JS),
        }
    finally:
        context.close()


# -- scenarios -------------------------------------------------------------------------------


@dataclass
class Bench:
    standin: StandIn
    browser: Browser
    workdir: Path
    reps: int
    quick: bool
    apps: dict[str, StreamlitApp] = field(default_factory=dict)
    client: openai.OpenAI | None = None
    results: dict[str, Any] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)

    def app(self, name: str) -> StreamlitApp:
        if name not in self.apps:
            self.apps[name] = StreamlitApp(name, self.standin, self.workdir).start()
            # Warm up: the first run imports modules and builds clients.
            self.standin.default = Reply(text=make_answer(40, seed=99))
            measure_app(self.browser, self.apps[name], self.standin, make_answer(40, seed=99), 60)
        return self.apps[name]

    def floor_client(self) -> openai.OpenAI:
        if self.client is None:
            self.client = openai.OpenAI(base_url=self.standin.base_url, api_key=API_KEY, max_retries=0)
        return self.client

    def orders(self) -> Iterator[tuple[int, tuple[str, ...]]]:
        """Contenders alternate: each repetition starts with a different one."""
        for rep in range(self.reps):
            shift = rep % len(CONTENDERS)
            yield rep, CONTENDERS[shift:] + CONTENDERS[:shift]

    def run_turns(self, label: str, answer: str, reply: Reply, timeout_s: float) -> dict[str, list[Any]]:
        for name in APPS:
            self.app(name)  # started and warmed up once, with their own reply
        self.standin.default = reply
        samples: dict[str, list[Any]] = {name: [] for name in CONTENDERS}
        for rep, order in self.orders():
            for name in order:
                if name == "floor":
                    sample = measure_floor(self.standin, self.floor_client())
                else:
                    sample = measure_app(self.browser, self.apps[name], self.standin, answer, timeout_s)
                samples[name].append(sample)
                out(f"  {label} rep {rep + 1} {name}: {_brief(sample)}")
        return samples

    def row(
        self,
        scenario: str,
        metric: str,
        unit: str,
        floor: float | None,
        reference: float | None,
        ours: float | None,
        target: str = "",
        passed: bool | None = None,
        note: str = "",
    ) -> None:
        self.rows.append(
            {
                "scenario": scenario,
                "metric": metric,
                "unit": unit,
                "floor": floor,
                "reference": reference,
                "ours": ours,
                "ours_over_reference": ours / reference if ours is not None and reference else None,
                "ours_minus_floor": ours - floor if ours is not None and floor is not None else None,
                "target": target,
                "pass": passed,
                "note": note,
            }
        )


def _brief(sample: dict[str, Any]) -> str:
    shown = []
    for key, value in sample.items():
        if key == "ws_breakdown":
            top = list(value["bytes"].items())[:3]
            shown.append("top=" + ",".join(f"{kind}:{size}" for kind, size in top))
        elif not isinstance(value, dict | list):
            shown.append(f"{key}={value:.3f}" if isinstance(value, float) else f"{key}={value}")
    return ", ".join(shown)


def _med(samples: list[dict[str, Any]], key: str, scale: float = 1.0) -> float | None:
    values = [s[key] * scale for s in samples if s.get(key) is not None]
    return median(values)


def s1_first_token(bench: Bench) -> None:
    answer = make_answer(60, seed=1)
    reply = Reply(text=answer, first_token_delay=0.2, chunk_delay=0.005, chunk_words=1)
    samples = bench.run_turns("S1", answer, reply, timeout_s=30)
    floor, ref, ours = (_med(samples[n], "first_s", 1000) for n in CONTENDERS)
    overhead = ours - floor if ours is not None and floor is not None else None
    passed = overhead is not None and overhead <= TARGETS["S1.overhead_ms"] and (ref is None or ours < ref)
    bench.row(
        "S1",
        "first visible token after receipt",
        "ms",
        floor,
        ref,
        ours,
        "ours-floor <= 50 ms and < reference",
        passed,
    )
    send = [_med(samples[n], "send_to_request_s", 1000) for n in APPS]
    bench.row("S1", "Enter to request at the stand-in (info)", "ms", None, send[0], send[1])
    bench.results["S1"] = {"samples": samples, "median_ms": {"floor": floor, "reference": ref, "ours": ours}}


def s2_long_answer(bench: Bench, words: int) -> None:
    answer = make_answer(words, seed=2)
    size = len(answer.encode())
    reply = Reply(text=answer, first_token_delay=0.2, chunk_delay=0.005, chunk_words=1)
    label = f"S2-{words // 1000}k"
    samples = bench.run_turns(label, answer, reply, timeout_s=max(120.0, words * 0.005 * 4))
    floor_last = _med(samples["floor"], "last_s", 1000)
    finals = {n: _med(samples[n], "final_s", 1000) for n in APPS}
    lags = {
        n: (v - floor_last if v is not None and floor_last is not None else None) for n, v in finals.items()
    }
    bench.row(label, f"last chunk / final text in DOM ({words} words)", "ms", floor_last, *finals.values())
    ours_lag = lags["ours"]
    bench.row(
        label,
        "lag of final text after floor's last chunk",
        "ms",
        0.0 if floor_last is not None else None,
        lags["reference"],
        ours_lag,
        "ours <= 150 ms",
        ours_lag is not None and ours_lag <= TARGETS["S2.lag_ms"],
    )
    own = {n: _med(samples[n], "final_after_stream_end_s", 1000) for n in APPS}
    bench.row(label, "final text after the stand-in ended the same stream (info)", "ms", 0.0, *own.values())
    timeouts = {n: _timeouts(samples[n]) for n in APPS}
    for n, note in timeouts.items():
        if note:
            bench.row(label, f"{n}: {note}", "", None, None, None)
    ratios = {n: _med(samples[n], "ws_bytes", 1 / size) for n in APPS}
    bench.row(
        label,
        f"websocket bytes / answer bytes ({size} B), send to final text",
        "x",
        1.0,
        ratios["reference"],
        ratios["ours"],
        "ours <= 3x",
        ratios["ours"] is not None and ratios["ours"] <= TARGETS["S2.bytes_ratio"],
    )
    settled = {n: _med(samples[n], "ws_bytes_settled", 1 / size) for n in APPS}
    frames = {n: _med(samples[n], "ws_frames") for n in APPS}
    bench.row(label, "websocket bytes / answer bytes until the run ends (info)", "x", 1.0, *settled.values())
    bench.row(label, "websocket frames, send to final text (info)", "n", float(words), *frames.values())
    bench.results[label] = {
        "answer_bytes": size,
        "samples": samples,
        "median": {"floor_last_ms": floor_last, "final_ms": finals, "lag_ms": lags, "bytes_ratio": ratios},
    }


def _timeouts(samples: list[dict[str, Any]]) -> str:
    """A note for runs that never showed the final text (their bytes so far are a lower bound)."""
    late = [s for s in samples if "timed_out_s" in s]
    if not late:
        return ""
    most = max(s["ws_bytes_so_far"] for s in late)
    return (
        f"{len(late)}/{len(samples)} runs showed no final text within {late[0]['timed_out_s']:.0f} s "
        f"({most / 1e6:.1f} MB of websocket frames by then)"
    )


def s2_long_answers(bench: Bench) -> None:
    for words in (2000, 8000):
        s2_long_answer(bench, words)


def seed_conversation(data_dir: Path, pairs: int) -> tuple[str, str]:
    """A stored conversation of `pairs` prompts and markdown answers (lists, code, tables) in the
    app's own database; returns its id and the last answer's final line."""
    from core.branches import ConversationTree
    from core.conversation import ChatParams, Message, Timing, Usage, user_message
    from core.storage import ConversationStore, database_url, make_engine, migrate

    engine = make_engine(database_url(str(data_dir), None))
    migrate(engine)
    messages: list[Message] = []
    parent: str | None = None
    for index in range(pairs):
        prompt = user_message(f"Question {index}: explain part {index} of the plan.")
        prompt.parent_id = parent
        answer = Message(
            role="assistant",
            text=make_answer(120, seed=1000 + index),
            parent_id=prompt.id,
            model="o4-mini",
            finish_reason="stop",
            usage=Usage(200, 160, 360, 40, 0),
            timing=Timing(0.3, 1.2),
        )
        messages += [prompt, answer]
        parent = answer.id
    store = ConversationStore(engine, "local")
    conversation = store.add_conversation(
        "Stored conversation", ChatParams(model="o4-mini"), ConversationTree.of(messages)
    )
    engine.dispose()
    return conversation, last_line(messages[-1].text)


def s3_stored_conversation(bench: Bench) -> None:
    """Open a stored 300-message conversation: first full paint; then a new prompt in it."""
    app = bench.app("ours")
    conversation, last = seed_conversation(app.workdir / "data", 150)
    answer = make_answer(60, seed=3)
    bench.standin.default = Reply(text=answer, first_token_delay=0.2, chunk_delay=0.005, chunk_words=1)
    paints: list[float] = []
    firsts: list[float] = []
    floors: list[float] = []
    for rep in range(bench.reps):
        floors.append(measure_floor(bench.standin, bench.floor_client())["first_s"])
        context = bench.browser.new_context(viewport={"width": 1280, "height": 900})
        try:
            page = context.new_page()
            page.set_default_timeout(60_000)
            counter = FrameCounter()
            counter.attach(page)
            started = time.monotonic()
            page.goto(f"{app.url}/?c={conversation}")
            page.get_by_text(last).wait_for(state="attached")
            page.get_by_test_id("stChatInputTextArea").wait_for(state="visible")
            paints.append(time.monotonic() - started)
            settle(page, counter)  # the run that drew the history is over before typing
            prompt = new_prompt("ours")
            arm_and_send(page, prompt, answer)
            seen = wait_final(page, 60)
            received = request_for(bench.standin, prompt).received_wall
            firsts.append(seen["first"] - received if seen["first"] else float("nan"))
        finally:
            context.close()
        out(
            f"  S3 rep {rep + 1}: paint_s={paints[-1]:.3f} first_s={firsts[-1]:.3f} "
            f"floor_first_s={floors[-1]:.3f}"
        )
    paint = median(paints)
    first, floor = median(firsts), median(floors)
    bench.row(
        "S3",
        "open a stored 300-message conversation: full paint",
        "s",
        None,
        None,
        paint,
        "ours <= 1.5 s",
        paint is not None and paint <= TARGETS["S3.paint_s"],
    )
    overhead = first - floor if first is not None and floor is not None else None
    bench.row(
        "S3",
        "first visible token in it, after receipt",
        "ms",
        _ms(floor),
        None,
        _ms(first),
        "ours-floor <= 50 ms",
        overhead is not None and overhead * 1000 <= TARGETS["S1.overhead_ms"],
    )
    bench.results["S3"] = {"paint_s": paints, "first_s": firsts, "floor_first_s": floors}


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


class DeliveryClock:
    """When the browser's network layer received each websocket frame of a page. CDP timestamps
    read the same monotonic clock as time.monotonic() on Linux, so what the server delivered can
    be told apart from what the page's renderer had drawn."""

    def __init__(self, page: Page) -> None:
        self.received: list[float] = []
        cdp = page.context.new_cdp_session(page)
        cdp.on("Network.webSocketFrameReceived", lambda event: self.received.append(event["timestamp"]))
        cdp.send("Network.enable")

    def last_before(self, moment: float) -> float | None:
        """The last frame received at or before `moment` (monotonic seconds)."""
        earlier = [t for t in self.received if t <= moment]
        return max(earlier) if earlier else None


def s4_concurrent(bench: Bench) -> None:
    """Sessions stream at once, each in its own browser context (a user of its own, with its own
    cookies and renderer process, as separate people would be), all on this one machine."""
    sessions = 5 if bench.quick else 20
    words = 1000
    answer = make_answer(words, seed=4)
    bench.standin.default = Reply(text=answer, first_token_delay=0.2, chunk_delay=0.005, chunk_words=1)
    app = bench.app("ours")
    bench.standin.default = Reply(text=answer, first_token_delay=0.2, chunk_delay=0.005, chunk_words=1)
    timeout_s = 180.0
    singles: list[float] = []
    concurrent: list[float] = []
    delivered: list[float] = []  # the frame with the final text reached the browser, per session
    stand_in_ends: list[float] = []  # when the stand-in finished sending each concurrent stream
    failures: list[str] = []
    for rep in range(bench.reps):
        single = measure_app(bench.browser, app, bench.standin, answer, timeout_s)
        if "final_s" in single:
            singles.append(single["final_s"])
        else:
            failures.append(f"single: {single.get('error')}")
        contexts = [
            bench.browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(sessions)
        ]
        try:
            pages = [open_chat(context, app.url) for context in contexts]
            clocks = [DeliveryClock(page) for page in pages]
            prompts = [new_prompt(f"S4-{i}") for i in range(sessions)]
            for page, prompt in zip(pages, prompts, strict=True):
                arm_and_send(page, prompt, answer)
            for i, (page, prompt, clock) in enumerate(zip(pages, prompts, clocks, strict=True)):
                try:
                    seen = wait_final(page, timeout_s)
                except Exception as exc:  # a missing answer is a failure to report
                    failures.append(f"session {i}: no final text ({type(exc).__name__})")
                    continue
                request = request_for(bench.standin, prompt)
                final = seen["final"]
                assert final is not None  # wait_final resolves once the last line shows
                concurrent.append(final - request.received_wall)
                shown_at = final - (time.time() - time.monotonic())  # the page's clock, as monotonic
                arrived = clock.last_before(shown_at + 0.001)
                if arrived is not None:
                    delivered.append(arrived - request.received_at)
                if request.finished_at is not None:
                    stand_in_ends.append(request.finished_at - request.received_at)
                if request.response_status != 200 or request.client_disconnected:
                    failures.append(f"session {i}: stand-in status {request.response_status}")
                if page.evaluate(ERRORS_JS):
                    failures.append(f"session {i}: error shown in the page")
        finally:
            for context in contexts:
                context.close()
        out(
            f"  S4 rep {rep + 1}: single {singles[-1] if singles else None}, "
            f"concurrent median {median(concurrent)}, delivered median {median(delivered)}, "
            f"failures {len(failures)}"
        )
    single_med, conc_med = median(singles), median(concurrent)
    slowdown = conc_med / single_med if conc_med and single_med else None
    complete = len(concurrent) == sessions * bench.reps and not failures
    bench.row("S4", f"{sessions} sessions all complete, no errors", "ok", None, None, float(complete))
    bench.row("S4", f"stream duration ({words} words), single session", "s", None, None, single_med)
    bench.row(
        "S4", "stand-in finished sending, median of concurrent (info)", "s", None, None, median(stand_in_ends)
    )
    bench.row(
        "S4",
        "final text received by the browser, median of concurrent (info)",
        "s",
        None,
        None,
        median(delivered),
    )
    bench.row(
        "S4",
        f"stream duration (final text drawn), median of {sessions} concurrent",
        "s",
        None,
        None,
        conc_med,
        "<= 1.5x single, all complete",
        complete and slowdown is not None and slowdown <= TARGETS["S4.slowdown"],
        f"x{slowdown:.2f} of single" if slowdown else "",
    )
    bench.results["S4"] = {
        "sessions": sessions,
        "words": words,
        "single_s": singles,
        "concurrent_s": concurrent,
        "delivered_s": delivered,
        "stand_in_end_s": stand_in_ends,
        "failures": failures,
        "slowdown": slowdown,
    }


def _evict_and_measure(bench: Bench, app: StreamlitApp) -> float:
    """Wait out the session TTL, then connect and leave once: Streamlit drops expired
    sessions lazily, when another disconnected session is stored."""
    time.sleep(SESSION_TTL_S + 1.5)
    context = bench.browser.new_context()
    open_chat(context, app.url)
    context.close()
    time.sleep(3)
    return app.rss_mb()


def s5_memory(bench: Bench) -> None:
    sessions = 20 if bench.quick else 100
    bench.standin.default = Reply(text=make_answer(40, seed=5))
    figures: dict[str, dict[str, float]] = {}
    for name in APPS:
        app = StreamlitApp(name, bench.standin, bench.workdir).start()
        try:
            measure_app(bench.browser, app, bench.standin, make_answer(40, seed=5), 60)  # warm up
            baseline = _evict_and_measure(bench, app)
            context = bench.browser.new_context(viewport={"width": 1024, "height": 700})
            for _ in range(sessions):
                open_chat(context, app.url)
            time.sleep(3)
            loaded = app.rss_mb()
            context.close()
            after = _evict_and_measure(bench, app)
        finally:
            app.stop()
        figures[name] = {
            "baseline_mb": baseline,
            "open_mb": loaded,
            "per_session_mb": (loaded - baseline) / sessions,
            "after_mb": after,
            "after_over_baseline": after / baseline,
        }
        out(f"  S5 {name}: {_brief(figures[name])}")
    ref, ours = figures.get("reference", {}), figures.get("ours", {})
    bench.row(
        "S5",
        "server RSS at baseline (warmed up)",
        "MB",
        None,
        ref.get("baseline_mb"),
        ours.get("baseline_mb"),
    )
    bench.row(
        "S5",
        f"RSS per idle session ({sessions} open)",
        "MB",
        None,
        ref.get("per_session_mb"),
        ours.get("per_session_mb"),
        "ours <= 3 MB",
        ours.get("per_session_mb", 99) <= TARGETS["S5.mb_per_session"],
    )
    bench.row(
        "S5",
        f"RSS after closing + {SESSION_TTL_S} s TTL, / baseline",
        "x",
        None,
        ref.get("after_over_baseline"),
        ours.get("after_over_baseline"),
        "ours <= 1.2x",
        ours.get("after_over_baseline", 99) <= TARGETS["S5.recovery"],
        f"ours {ours.get('after_mb', 0):.0f} MB after",
    )
    bench.results["S5"] = {"sessions": sessions, "ttl_s": SESSION_TTL_S, "figures": figures}


def s6_start(bench: Bench) -> None:
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in APPS}
    for rep in range(bench.reps):
        for name in APPS if rep % 2 == 0 else reversed(APPS):
            app = StreamlitApp(name, bench.standin, bench.workdir)
            try:
                app.start()
                context = bench.browser.new_context(viewport={"width": 1280, "height": 900})
                started = time.monotonic()
                open_chat(context, app.url)
                paint = time.monotonic() - started
                context.close()
            finally:
                app.stop()
            assert app.health_s is not None
            samples[name].append({"health_s": app.health_s, "paint_s": paint})
            out(f"  S6 rep {rep + 1} {name}: {_brief(samples[name][-1])}")
    health = [_med(samples[n], "health_s") for n in APPS]
    paint = [_med(samples[n], "paint_s") for n in APPS]
    bench.row(
        "S6",
        "process start to /_stcore/health ok",
        "s",
        None,
        *health,
        "ours <= 3 s",
        health[1] is not None and health[1] <= TARGETS["S6.health_s"],
    )
    bench.row(
        "S6",
        "first paint: goto to chat input visible",
        "s",
        None,
        *paint,
        "ours <= 2 s",
        paint[1] is not None and paint[1] <= TARGETS["S6.paint_s"],
    )
    bench.results["S6"] = {"samples": samples}


SCENARIOS: dict[str, Callable[[Bench], None]] = {
    "S1": s1_first_token,
    "S2": s2_long_answers,
    "S3": s3_stored_conversation,
    "S4": s4_concurrent,
    "S5": s5_memory,
    "S6": s6_start,
}


# -- output ----------------------------------------------------------------------------------


def _cell(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if unit == "ok":
        return "yes" if value else "NO"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(rows: list[dict[str, Any]]) -> str:
    header = ["scen", "metric", "unit", "floor", "reference", "ours", "ours/ref", "ours-floor", "target", ""]
    lines = [header]
    for row in rows:
        verdict = "" if row["pass"] is None else ("PASS" if row["pass"] else "FAIL")
        lines.append(
            [
                row["scenario"],
                row["metric"] + (f" [{row['note']}]" if row["note"] else ""),
                row["unit"],
                _cell(row["floor"]),
                _cell(row["reference"], row["unit"]),
                _cell(row["ours"], row["unit"]),
                _cell(row["ours_over_reference"]),
                _cell(row["ours_minus_floor"]),
                row["target"],
                verdict,
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    rendered = []
    for n, line in enumerate(lines):
        cells = [
            c.ljust(w) if i < 3 or i >= 8 else c.rjust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ]
        rendered.append("  ".join(cells).rstrip())
        if n == 0:
            rendered.append("  ".join("-" * w for w in widths))
    return "\n".join(rendered)


def machine() -> dict[str, Any]:
    return {
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "streamlit": streamlit.__version__,
        "openai": openai.__version__,
        "chromium": CHROMIUM,
        "loadavg": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3, help="repetitions per figure (median reported)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 repetition, fewer sessions")
    parser.add_argument("--only", default="", help="comma-separated scenarios to run, e.g. S1,S2")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    reps = 1 if args.quick else args.reps
    chosen = [s.strip().upper() for s in args.only.split(",") if s.strip()] or list(SCENARIOS)
    started = time.time()
    workdir = Path(tempfile.mkdtemp(prefix="gptproto-bench-"))
    out(f"GPTProto chat benchmark: {reps} repetition(s), scenarios {','.join(chosen)}, scratch {workdir}")
    standin = StandIn(api_keys=[API_KEY]).start()
    errors: dict[str, str] = {}
    bench: Bench | None = None
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            bench = Bench(standin, browser, workdir, reps, args.quick)
            try:
                for name in chosen:
                    out(f"{name}…")
                    t0 = time.monotonic()
                    try:
                        SCENARIOS[name](bench)
                    except Exception as exc:  # one broken scenario must not hide the others
                        errors[name] = f"{type(exc).__name__}: {exc}"
                        out(f"  {name} failed: {errors[name]}")
                    out(f"  ({time.monotonic() - t0:.0f} s)")
            finally:
                for app in bench.apps.values():
                    app.stop()
                browser.close()
    finally:
        standin.stop()
    out()
    rows = bench.rows if bench else []
    out(table(rows))
    for name, error in errors.items():
        out(f"{name}: ERROR {error}")
    report = {
        "command": shlex.join([sys.executable, "-m", "bench.run", *(sys.argv[1:] if argv is None else argv)]),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "duration_s": time.time() - started,
        "machine": machine(),
        "settings": {
            "reps": reps,
            "quick": args.quick,
            "scenarios": chosen,
            "disconnected_session_ttl_s": SESSION_TTL_S,
            "targets": TARGETS,
        },
        "rows": rows,
        "scenarios": bench.results if bench else {},
        "errors": errors,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, default=str) + "\n")
    out(f"\nwrote {args.output}")
    shutil.rmtree(workdir, ignore_errors=True)
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
