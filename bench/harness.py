"""What every scenario uses: the app processes, the floor, one measured turn in the browser, and
the `Bench` that holds them for a run.

Times are wall-clock seconds relative to the moment the stand-in received the request, so the
floor and the apps are measured from the same instant.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openai
from playwright.sync_api import Browser, BrowserContext, Page

from bench.answer_text import FIRST_WORD, last_line, make_answer
from bench.frames import FrameCounter, breakdown
from bench.report import make_row
from devtools.browser import free_port
from devtools.process import app_command, stop_process, streamlit_command, wait_healthy
from devtools.standin import RecordedRequest, Reply, StandIn

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "sk-bench"
SESSION_TTL_S = 5  # server.disconnectedSessionTTL for the bench (Streamlit's default is 120 s)
APPS = {"reference": ROOT / "bench" / "reference_app.py", "ours": ROOT / "app.py"}
CONTENDERS = ("floor", "reference", "ours")

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
    """Print a progress line at once."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def median(values: list[float]) -> float | None:
    clean = [v for v in values if v is not None]
    return statistics.median(clean) if clean else None


def med(samples: list[dict[str, Any]], key: str, scale: float = 1.0) -> float | None:
    """The median of one figure over samples that have it, times `scale`."""
    values = [s[key] * scale for s in samples if s.get(key) is not None]
    return median(values)


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def brief(sample: dict[str, Any]) -> str:
    """One sample on one progress line."""
    shown = []
    for key, value in sample.items():
        if key == "ws_breakdown":
            top = list(value["bytes"].items())[:3]
            shown.append("top=" + ",".join(f"{kind}:{size}" for kind, size in top))
        elif not isinstance(value, dict | list):
            shown.append(f"{key}={value:.3f}" if isinstance(value, float) else f"{key}={value}")
    return ", ".join(shown)


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


def open_chat(context: BrowserContext, url: str, counter: FrameCounter | None = None) -> Page:
    """A new page on the app, once its chat input is visible."""
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
                "ws_bytes_so_far": counter.total_bytes,
                "ws_frames_so_far": counter.frames,
            }
        at_final, frames_at_final = counter.snapshot()
        where = breakdown(counter.payloads)
        settle(page, counter)
        request = request_for(standin, prompt)
        received = request.received_wall
        stream_end = received + (request.finished_at or request.received_at) - request.received_at
        final = seen["final"]
        assert final is not None  # wait_final resolves once the last line shows
        return {
            "send_to_request_s": received - sent,
            "first_s": seen["first"] - received if seen["first"] else None,
            "final_s": final - received,
            "stream_end_s": stream_end - received,
            "final_after_stream_end_s": final - stream_end,
            "ws_bytes": at_final,
            "ws_frames": frames_at_final,
            "ws_bytes_settled": counter.total_bytes,
            "ws_breakdown": where,
            "requests": requests_for(standin, prompt),
            "page_errors": page.evaluate(ERRORS_JS),
        }
    finally:
        context.close()


# -- one run of the benchmark ----------------------------------------------------------------


@dataclass
class Bench:
    """The stand-in, the browser and the apps of one run, and the rows and results it made."""

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
                out(f"  {label} rep {rep + 1} {name}: {brief(sample)}")
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
        self.rows.append(make_row(scenario, metric, unit, floor, reference, ours, target, passed, note))
