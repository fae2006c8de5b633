"""What every scenario uses: the benchmark's own gateway, the floor, the app processes, one
measured turn in the browser, and the `Bench` that holds them for a run.

Every app timing starts at the key press, recorded in the page (a capture-phase keydown listener
reading `Date.now()`, the same wall clock as the floor's `time.time()`). The floor's request is
started at that same moment, in its own process, and is read against the same server while the
app streams; "over the floor" figures are the differences within each such pair.
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
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page

from bench.answer_text import FIRST_WORD, last_line, make_answer
from bench.frames import FrameCounter, PageMeter, breakdown
from bench.peers.venvs import CACHE, venv_python
from bench.report import make_row
from devtools.browser import free_port
from devtools.process import app_command, stop_process, streamlit_command, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "sk-bench"
SESSION_TTL_S = 5  # server.disconnectedSessionTTL for the bench (Streamlit's default is 120 s)
# The apps, each under its start command: the tutorial chatbot and ours under plain
# `streamlit run`, ours also as deployed by scripts/start.sh (serve.py).
APPS = ("reference", "ours", "ours_run")
SCRIPTS = {
    "reference": ROOT / "bench" / "reference_app.py",
    "ours": ROOT / "app.py",
    "ours_run": ROOT / "app.py",
    "main": ROOT / "app.py",  # under the baseline's own checkout (Bench.baseline), through serve.py
    "gradio": ROOT / "bench" / "peers" / "gradio_app.py",
    "chainlit": ROOT / "bench" / "peers" / "chainlit_app.py",
}
# The framework peers (bench/peers/), each from its own virtual environment.
PEERS = ("gradio", "chainlit")
# Where each app's chat input is, and its answers: Streamlit's bubbles are counted (the next
# assistant bubble is known before the send); a peer's answer is its last bot message.
STREAMLIT_UI = ('[data-testid="stChatInputTextArea"]', '[data-testid="stChatMessage"]')
UI = {
    "gradio": ('textarea[data-testid="textbox"]', '[data-testid="bot"]'),
    "chainlit": ("textarea#chat-input", '[data-step-type="assistant_message"]'),
}
# What starts each turn's timing in the page, and what ends it: the capture-phase keydown
# listener runs before Streamlit's own handler; the first websocket message after it is the
# rerun request; the MutationObserver records when the assistant bubble first shows the first
# word and when it shows the last line. textContent is checked on every DOM change (cheap);
# innerText (what is rendered, but forces layout) only once textContent matches, so the probe
# does not slow the page it measures.
OBSERVER_JS = """
([bubbles, index, first, final]) => {
  const state = {key: null, sent: null, first: null, final: null};
  window.__bench = state;
  window.__benchDone = new Promise((resolve) => { state.resolve = resolve; });
  if (!window.__benchHooks) {
    window.__benchHooks = true;
    window.addEventListener('keydown', (event) => {
      const s = window.__bench;
      if (event.key === 'Enter' && s && s.key === null) s.key = Date.now();
    }, {capture: true});
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) {
      const s = window.__bench;
      if (s && s.key !== null && s.sent === null) s.sent = Date.now();
      return send.call(this, data);
    };
  }
  const shows = (bubble, words) => bubble.textContent.includes(words) && bubble.innerText.includes(words);
  const check = () => {
    const all = document.querySelectorAll(bubbles);
    const bubble = index === null ? all[all.length - 1] : all[index];
    if (!bubble) return;
    const now = Date.now();
    if (state.first === null && shows(bubble, first)) state.first = now;
    if (state.final === null && shows(bubble, final)) {
      state.final = now;
      observer.disconnect();
      state.resolve({key: state.key, sent: state.sent, first: state.first, final: state.final});
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


# -- the gateway and the floor ---------------------------------------------------------------


class BenchServer:
    """bench/sse_server.py in its own process: an OpenAI-compatible server that is not the test
    suite's stand-in."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.sse_server", "--port", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.port = json.loads(self.process.stdout.readline())["port"]
        self.url = f"http://127.0.0.1:{self.port}"
        self.base_url = f"{self.url}/v1"
        self.api_key = API_KEY

    def shape(self, text: str, **fields: Any) -> None:
        """How the next answers stream (bench.sse_server.Shape's fields)."""
        data = json.dumps({"text": text, **fields}).encode()
        request = urllib.request.Request(f"{self.url}/bench/shape", data=data, method="PUT")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def requests(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{self.url}/bench/requests", timeout=10) as response:
            records: list[dict[str, Any]] = json.load(response)
            return records

    def request_for(self, prompt: str, timeout: float = 30.0) -> dict[str, Any]:
        """The finished request whose last user message carries this prompt, with its times also
        as wall-clock seconds (`first_chunk_wall`, `last_chunk_wall`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for record in reversed(self.requests()):
                if prompt in record["prompt"] and "finished_mono" in record:
                    offset = record["received_wall"] - record["received_mono"]
                    for name in ("first_chunk", "last_chunk"):
                        if f"{name}_mono" in record:
                            record[f"{name}_wall"] = record[f"{name}_mono"] + offset
                    return record
            time.sleep(0.02)  # the request may still be on its way
        raise TimeoutError(f"the bench server never finished a request for {prompt!r}")

    def count(self, prompt: str) -> int:
        return sum(prompt in record["prompt"] for record in self.requests())

    def stop(self) -> None:
        stop_process(self.process)


class Floor:
    """bench/floor.py in its own process: the raw `openai` client, built and waiting for `go`."""

    def __init__(self, base_url: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.floor", base_url, API_KEY],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError("the floor client did not start")

    def go(self, prompt: str) -> None:
        """Start the floor's request now (it reads the line at once)."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"prompt": prompt, "first": FIRST_WORD}) + "\n")
        self.process.stdin.flush()

    def result(self, prompt: str) -> dict[str, Any]:
        """Epoch seconds of the request's start, its first word and its last content chunk
        (results of earlier requests nobody read, after a failed turn, are skipped)."""
        assert self.process.stdout is not None
        while line := self.process.stdout.readline():
            result: dict[str, Any] = json.loads(line)
            if result["prompt"] == prompt:
                return result
        raise RuntimeError("the floor client exited")

    def stop(self) -> None:
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        stop_process(self.process)


def floor_figures(bench: Bench, prompt: str, raw: dict[str, Any]) -> dict[str, Any]:
    """The floor's first word and last chunk after its own start, and its start to the receipt."""
    if raw["first"] is None or raw["last"] is None:
        raise RuntimeError("the floor saw no answer")
    request = bench.server.request_for(prompt)
    start = raw["start"]
    return {
        "start": start,
        "first_s": raw["first"] - start,
        "last_s": raw["last"] - start,
        "to_request_s": request["received_wall"] - start,
        "first_after_receipt_s": raw["first"] - request["received_wall"],
    }


# -- processes -------------------------------------------------------------------------------


def bench_env(base_url: str, api_key: str, data_dir: Path) -> dict[str, str]:
    """This process's environment without app or Streamlit settings, plus the gateway's."""
    drop = ("STREAMLIT_", "GPTPROTO_", "OPENAI_", "DATABASE_URL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(GPTPROTO_BASE_URL=base_url, GPTPROTO_API_KEY=api_key, GPTPROTO_DATA_DIR=str(data_dir))
    return env


class StreamlitApp:
    """One app under its start command on a free port, in a scratch directory holding the
    repo's config: `reference` and `ours_run` under `streamlit run`, `ours` through serve.py."""

    def __init__(
        self,
        name: str,
        server: BenchServer,
        workdir: Path,
        extra_env: dict[str, str] | None = None,
        root: Path = ROOT,
    ) -> None:
        self.name = name
        self.root = root  # the checkout it runs from: this one, or the baseline's
        self.script = root / SCRIPTS[name].relative_to(ROOT)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir / f"{name}-{self.port}"
        (self.workdir / ".streamlit").mkdir(parents=True)
        # The deployed config (no file watcher, theme...) of the checkout it runs from (the
        # baseline's own for `main`); never the secrets.
        shutil.copy(root / ".streamlit" / "config.toml", self.workdir / ".streamlit" / "config.toml")
        self.env = bench_env(server.base_url, server.api_key, self.workdir / "data")
        self.env["PYTHONPATH"] = str(root)
        self.env.update(extra_env or {})
        self.log_path = self.workdir / "streamlit.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.health_s: float | None = None

    def command(self) -> list[str]:
        ttl = ("--server.disconnectedSessionTTL", str(SESSION_TTL_S))
        if self.name in ("ours", "main"):  # as deployed: serve.py
            return [sys.executable, str(self.root / "serve.py"), *app_command(self.port, *ttl)[2:]]
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
        for pid in _with_descendants(self.process.pid):
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total_kb += int(line.split()[1])
        return total_kb / 1024

    def cpu_s(self) -> float:
        """CPU seconds (user and system) the server and all its descendants have used so far."""
        assert self.process is not None
        return sum(_cpu_s(pid) for pid in _with_descendants(self.process.pid))

    def stop(self) -> None:
        stop_process(self.process)


def _with_descendants(pid: int) -> list[int]:
    """`pid` and every process below it, as /proc lists them now."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
    return found


def _cpu_s(pid: int) -> float:
    """CPU seconds (user and system) process `pid` has used so far; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


class PeerApp(StreamlitApp):
    """A framework peer (bench/peers/<name>_app.py) under its own start command, from the
    virtual environment bench.peers.venvs builds: Gradio's `launch()`, `chainlit run`."""

    def command(self) -> list[str]:
        python, script = venv_python(self.name), self.script
        if self.name == "chainlit":
            chainlit = str(python.parent / "chainlit")
            where = ["--host", "127.0.0.1", "--port", str(self.port)]
            return [chainlit, "run", str(script), "--headless", *where]
        return [str(python), str(script)]

    def start(self, timeout: float = 120.0) -> StreamlitApp:
        self.env.update(PORT=str(self.port), GRADIO_ANALYTICS_ENABLED="False", PYTHONPATH="")
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.command(), cwd=self.workdir, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log()}")
            with contextlib.suppress(OSError), urllib.request.urlopen(self.url, timeout=1) as response:
                if response.status == 200:
                    self.health_s = time.monotonic() - started
                    return self
            time.sleep(0.05)  # polling the page, not standing in for a wait
        raise RuntimeError(f"{self.name} did not answer:\n{self.log()}")


def baseline_checkout(rev: str) -> Path:
    """`rev` of this repository exported once under the bench's cache (never committed)."""
    found = ["git", "rev-parse", "--verify", f"{rev}^{{commit}}"]
    sha = subprocess.run(found, cwd=ROOT, check=True, capture_output=True, text=True).stdout.strip()
    home = CACHE / "baselines" / sha[:12]
    if not (home / "serve.py").exists():
        home.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "archive", sha], cwd=ROOT, check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(home)], input=archive, check=True)
    return home


def machine_busy_s() -> float:
    """CPU seconds every core of this machine has spent not idle since boot (/proc/stat)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = (
        int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


# -- the browser -----------------------------------------------------------------------------


def chromium_cpu_s() -> float:
    """CPU seconds (user and system) every Chromium process on this machine has used so far."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if proc.name.isdigit() and b"chromium" in (proc / "cmdline").read_bytes().split(b"\0", 1)[0]:
                total += _cpu_s(int(proc.name))
    return total


_nonce = itertools.count(1)


def new_prompt(label: str) -> str:
    return f"Benchmark {label} request {next(_nonce)} {time.time_ns()}"


def open_chat(
    context: BrowserContext, url: str, counter: FrameCounter | None = None, app: str = "ours"
) -> Page:
    """A new page on the app, once its chat input is visible."""
    page = context.new_page()
    page.set_default_timeout(60_000)
    if counter is not None:
        counter.attach(page)
    ready = _chainlit_ready(page) if app == "chainlit" else None
    page.goto(url)
    page.locator(UI.get(app, STREAMLIT_UI)[0]).wait_for(state="visible")
    if ready is not None:
        deadline = time.monotonic() + 60
        while not ready and time.monotonic() < deadline:
            page.wait_for_timeout(50)  # lets Playwright deliver the frames we are waiting for
        if not ready:
            raise RuntimeError("chainlit never finished starting its chat session")
    return page


def _chainlit_ready(page: Page) -> list[bool]:
    """Chainlit shows its input before its socket has a session, and drops a message sent
    then: the page is ready once the session's `on_chat_start` task has ended (a non-empty list)."""
    ready: list[bool] = []
    started: list[bool] = []

    def on_frame(payload: bytes | str) -> None:
        text = payload if isinstance(payload, str) else payload.decode(errors="replace")
        if "on_chat_start" in text:
            started.append(True)
        elif started and text.startswith('42["task_end"'):
            ready.append(True)

    page.on("websocket", lambda socket: socket.on("framereceived", on_frame))
    return ready


def arm_and_send(
    page: Page,
    prompt: str,
    answer: str,
    floor: Floor | None = None,
    floor_prompt: str = "",
    app: str = "ours",
) -> None:
    """Install the key listener and the observer for the next assistant bubble, type the prompt
    and press Enter, starting the floor's request (if any) at the same moment."""
    field_selector, bubbles = UI.get(app, STREAMLIT_UI)
    index = None if app in UI else page.locator(bubbles).count() + 1
    page.evaluate(OBSERVER_JS, [bubbles, index, FIRST_WORD, last_line(answer)])
    page.locator(field_selector).fill(prompt)  # and focused
    # The keyboard directly, not the locator's press(): that first re-checks the element, which
    # would put a few round trips between the floor's start and the key press.
    if floor is not None:
        floor.go(floor_prompt)
    page.keyboard.press("Enter")


def wait_final(page: Page, timeout_s: float) -> dict[str, float | None]:
    """Epoch seconds of the key press, the first websocket message after it, the first word and
    the last line; resolves the moment the last line shows."""
    state = page.evaluate(WAIT_JS, timeout_s * 1000)
    return {k: (v / 1000 if v is not None else None) for k, v in state.items()}


def settle(page: Page, counter: FrameCounter, quiet_s: float = 1.0, limit_s: float = 30.0) -> None:
    """Wait until the page has received no websocket frame for `quiet_s` (the run is over)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        page.wait_for_timeout(200)
        if time.monotonic() - counter.last_frame_at >= quiet_s:
            return


def turn_figures(seen: dict[str, float | None], request: dict[str, Any]) -> dict[str, Any]:
    """One turn's times: from the key press, and (the breakdown) from the request's receipt and
    from the server's first and last chunk."""
    key, sent, first, final = seen["key"], seen["sent"], seen["first"], seen["final"]
    assert key is not None and final is not None  # wait_final resolves once the last line shows
    received = request["received_wall"]
    figures: dict[str, Any] = {
        "key_to_sent_s": sent - key if sent is not None else None,
        "key_to_request_s": received - key,
        "key_to_first_s": first - key if first is not None else None,
        "key_to_final_s": final - key,
        "first_after_receipt_s": first - received if first is not None else None,
        "final_after_receipt_s": final - received,
    }
    if first is not None and "first_chunk_wall" in request:
        figures["first_after_first_chunk_s"] = first - request["first_chunk_wall"]
    if "last_chunk_wall" in request:
        figures["final_after_last_chunk_s"] = final - request["last_chunk_wall"]
    return figures


def measure_app(
    bench: Bench, app: StreamlitApp, answer: str, timeout_s: float, with_floor: bool = True
) -> dict[str, Any]:
    """One turn in a fresh session, from the key press: first word and last line in the DOM,
    websocket bytes; with the floor's request started at the same moment, paired with it."""
    context = bench.browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        counter = FrameCounter()
        page = open_chat(context, app.url, counter, app.name)
        meter = PageMeter(page)
        prompt, floor_prompt = new_prompt(app.name), new_prompt(f"floor-{app.name}")
        counter.start()
        meter.start()
        main_before, cpu_before = meter.main_thread_s(), app.cpu_s()
        arm_and_send(page, prompt, answer, bench.floor if with_floor else None, floor_prompt, app.name)
        try:
            seen = wait_final(page, timeout_s)
        except Exception as exc:  # a timeout is a result, not a crash
            if with_floor:
                bench.floor.result(floor_prompt)
            return {
                "error": f"no final text within {timeout_s:.0f} s: {str(exc)[:200]}",
                "timed_out_s": timeout_s,
                "ws_bytes_so_far": counter.total_bytes,
                "ws_frames_so_far": counter.frames,
            }
        at_final, frames_at_final = counter.snapshot()
        wire_at_final = counter.wire_bytes()
        http_at_final, main_at_final, cpu_at_final = meter.http_bytes, meter.main_thread_s(), app.cpu_s()
        where = breakdown(counter.payloads)
        floor = floor_figures(bench, floor_prompt, bench.floor.result(floor_prompt)) if with_floor else None
        settle(page, counter)
        sample = turn_figures(seen, bench.server.request_for(prompt))
        sample.update(
            # On the wire: websocket frames as sent (compressed where the handshake agreed on
            # permessage-deflate) and HTTP responses' encoded bytes.
            wire_bytes=wire_at_final + http_at_final,
            payload_bytes=at_final + http_at_final,  # websocket payloads as the page reads them
            http_bytes=http_at_final,
            asset_bytes=meter.asset_bytes,
            main_thread_s=main_at_final - main_before,
            server_cpu_s=cpu_at_final - cpu_before,
            # Until the page is quiet: what the run sends after the last word (a rerun that
            # refreshes the page around the answer) counts for the answer too.
            wire_bytes_settled=counter.wire_bytes() + meter.http_bytes,
            main_thread_settled_s=meter.main_thread_s() - main_before,
            server_cpu_settled_s=app.cpu_s() - cpu_before,
        )
        if floor is not None:
            key = seen["key"]
            assert key is not None
            sample["floor"] = floor
            sample["floor_start_after_key_s"] = floor["start"] - key
            if sample["key_to_first_s"] is not None:
                sample["first_over_floor_s"] = sample["key_to_first_s"] - floor["first_s"]
            sample["final_over_floor_s"] = sample["key_to_final_s"] - floor["last_s"]
        sample.update(
            ws_bytes=at_final,
            ws_frames=frames_at_final,
            ws_bytes_settled=counter.total_bytes,
            ws_extensions=counter.extensions[-1] if counter.extensions else "",
            ws_breakdown=where,
            requests=bench.server.count(prompt),
            page_errors=page.evaluate(ERRORS_JS),
        )
        return sample
    finally:
        context.close()


# -- one run of the benchmark ----------------------------------------------------------------


@dataclass
class Bench:
    """The gateway, the floor, the browser and the apps of one run, and the rows it made."""

    server: BenchServer
    floor: Floor
    browser: Browser
    workdir: Path
    reps: int
    quick: bool
    baseline: Path | None = None  # the checkout the `main` app runs from
    apps: dict[str, StreamlitApp] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)
    rows: list[dict[str, Any]] = field(default_factory=list)

    def app(self, name: str) -> StreamlitApp:
        """The app, started and warmed up once (the first run imports modules, builds clients)."""
        if name not in self.apps:
            if name in PEERS:
                self.apps[name] = PeerApp(name, self.server, self.workdir).start()
            elif name == "main":
                if self.baseline is None:
                    raise RuntimeError("the `main` app needs --baseline")
                self.apps[name] = StreamlitApp(name, self.server, self.workdir, root=self.baseline).start()
            else:
                self.apps[name] = StreamlitApp(name, self.server, self.workdir).start()
            warm = make_answer(40, seed=99)
            self.server.shape(warm)
            measure_app(self, self.apps[name], warm, 60, with_floor=False)
        return self.apps[name]

    def orders(self, names: tuple[str, ...]) -> Iterator[tuple[int, tuple[str, ...]]]:
        """Contenders alternate: each repetition starts with a different one."""
        for rep in range(self.reps):
            shift = rep % len(names)
            yield rep, names[shift:] + names[:shift]

    def run_turns(
        self,
        label: str,
        answer: str,
        shape: dict[str, Any],
        timeout_s: float,
        apps: tuple[str, ...] = APPS,
    ) -> dict[str, list[dict[str, Any]]]:
        """Each app's turns, each paired with a floor started at its key press."""
        for name in apps:
            self.app(name)
        self.server.shape(answer, **shape)
        samples: dict[str, list[dict[str, Any]]] = {name: [] for name in apps}
        for rep, order in self.orders(apps):
            for name in order:
                if any("timed_out_s" in earlier for earlier in samples[name]):
                    continue  # one timeout says it; more would only load the machine
                sample = measure_app(self, self.apps[name], answer, timeout_s)
                samples[name].append(sample)
                out(f"  {label} rep {rep + 1} {name}: {brief(sample)}")
        return samples

    def row(
        self,
        scenario: str,
        metric: str,
        unit: str,
        values: dict[str, float | None],
        target: str = "",
        passed: bool | None = None,
        note: str = "",
    ) -> None:
        self.rows.append(make_row(scenario, metric, unit, values, target, passed, note))


def floor_med(samples: dict[str, list[dict[str, Any]]], key: str, scale: float = 1.0) -> float | None:
    """The median of a floor figure over every turn's paired floor."""
    pairs = [s["floor"] for turns in samples.values() for s in turns if "floor" in s]
    return med(pairs, key, scale)


def per_app(
    samples: dict[str, list[dict[str, Any]]], key: str, scale: float = 1.0
) -> dict[str, float | None]:
    return {name: med(turns, key, scale) for name, turns in samples.items()}
