"""How much faster a Compare round is than asking the same models one after the other.

The figure: the wall time of one Compare round of three models in the browser (from the Enter key
press to the third column's cost line, both timed in the page) divided by the sum of the three
answers' stream times read one after the other with the raw `openai` client. Three columns that
stream at the same time give about 1/3 plus the app's overhead; one after the other gives 1 or more.

It starts the stand-in gateway (`python -m devtools.standin`, as the README runs it), the app
(`serve.py`) on free loopback ports and Debian's Chromium, so it needs no network. A benchmark,
not a test: noisy on a small or busy machine, so it prints every sample and the median.

    .venv/bin/python -m bench.compare_ratio            # --reps N, --chunk-delay S
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import openai
from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
]
MODELS = ["o4-mini", "gpt-4o", "o3"]
KEY = "sk-bench-compare"
PROMPT = "Name a prime number and say why."

# In the page: when Enter went down in the prompt box, and when the third cost line (drawn once a
# column is finished) appeared.
TIMING_SCRIPT = """(box) => {
    window.__sent = null;
    window.__done = null;
    box.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' && window.__sent === null) window.__sent = performance.now();
    }, true);
    const costLines = () => [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
        .filter((el) => el.textContent.startsWith('Cost: ')).length;
    new MutationObserver((_, observer) => {
        if (window.__sent !== null && costLines() >= 3) {
            window.__done = performance.now();
            observer.disconnect();
        }
    }).observe(document.body, {childList: true, subtree: true, characterData: true});
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Until `url` answers (any HTTP status), or raise if the process died or time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)  # polling a server that is starting
    raise RuntimeError(f"{url} did not answer within {timeout:g} s")


@contextmanager
def running(command: list[str], ready_url: str, env: dict[str, str], log: Path) -> Iterator[None]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
    try:
        wait_for(ready_url, process)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def one_after_the_other(base_url: str) -> float:
    """Seconds to stream the three answers one after the other with the raw client."""
    client = openai.OpenAI(api_key=KEY, base_url=base_url, max_retries=0)
    total = 0.0
    for model in MODELS:
        started = time.monotonic()
        stream = client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": PROMPT}],
            stream=True,
            stream_options={"include_usage": True},
        )
        for _ in stream:
            pass
        total += time.monotonic() - started
    return total


def compare_round(page: Page, app_url: str) -> float:
    """Seconds from the Enter key press to the third column's cost line, timed in the page."""
    page.goto(app_url)
    page.get_by_role("link", name="Compare models").click()
    expect(page.get_by_role("heading", name="Compare models")).to_be_visible()
    page.get_by_test_id("stMultiSelect").locator("input").click()
    page.get_by_role("option", name="o3", exact=True).click()
    page.keyboard.press("Escape")
    box = page.get_by_placeholder("Ask every model at once", exact=False)
    expect(box).to_be_visible()
    box.fill(PROMPT)
    box.evaluate(TIMING_SCRIPT)
    box.press("Enter")
    page.wait_for_function("window.__done !== null", timeout=120_000)
    return float(page.evaluate("(window.__done - window.__sent) / 1000"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.compare_ratio", description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=3, help="rounds to measure (default 3)")
    parser.add_argument("--chunk-delay", type=float, default=0.03, help="stand-in seconds between chunks")
    parser.add_argument("--first-token-delay", type=float, default=0.3)
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        sys.exit(f"Debian's chromium is needed at {CHROMIUM}: bash scripts/test.sh installs it")

    gateway_port, app_port = free_port(), free_port()
    base_url = f"http://127.0.0.1:{gateway_port}/v1"
    app_url = f"http://127.0.0.1:{app_port}"
    workdir = Path(tempfile.mkdtemp(prefix="bench-compare-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GPTPROTO_", "STREAMLIT_"))}
    env.pop("DATABASE_URL", None)
    standin = [sys.executable, "-m", "devtools.standin", "--port", str(gateway_port), "--key", KEY]
    standin += ["--chunk-delay", str(args.chunk_delay), "--first-token-delay", str(args.first_token_delay)]
    app = [
        sys.executable,
        str(ROOT / "serve.py"),
        "--server.headless",
        "true",
        "--server.port",
        str(app_port),
    ]
    app += ["--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    app_env = env | {
        "GPTPROTO_BASE_URL": base_url,
        "GPTPROTO_API_KEY": KEY,
        "GPTPROTO_MODELS": ",".join(MODELS),
        "GPTPROTO_DATA_DIR": str(workdir / "data"),
    }

    ratios = []
    with (
        running(standin, f"{base_url}/models", env, workdir / "standin.log"),
        running(app, f"{app_url}/_stcore/health", app_env, workdir / "app.log"),
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for rep in range(1, args.reps + 1):
            sequential = one_after_the_other(base_url)
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            concurrent = compare_round(context.new_page(), app_url)
            context.close()
            ratios.append(concurrent / sequential)
            print(
                f"round {rep}: Compare round {concurrent:.2f} s, one after the other {sequential:.2f} s, "
                f"ratio {ratios[-1]:.2f}"
            )
        browser.close()
    shutil.rmtree(workdir)  # kept (with the servers' logs) only when a round failed
    print(
        f"Compare round / one after the other, 3 models, median of {len(ratios)}: "
        f"{statistics.median(ratios):.2f} (1/3 is ideal; 1 means no overlap) on {os.cpu_count()} CPUs"
    )
    print(
        "Reproduce: .venv/bin/python -m bench.compare_ratio "
        + shlex.join(sys.argv[1:] if argv is None else argv)
    )


if __name__ == "__main__":
    main()
