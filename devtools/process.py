"""Starting the app (or another Streamlit script) on loopback, shared by the browser tests and the
benchmark."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

SERVE = Path(__file__).resolve().parent.parent / "serve.py"


def loopback_options(port: int) -> list[str]:
    """Headless on 127.0.0.1:port, with no usage statistics."""
    return [
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
    ]


def app_command(port: int, *extra: str) -> list[str]:
    """Our app as it is deployed (`serve.py`, i.e. `streamlit run app.py` with its server fixes)."""
    return [sys.executable, str(SERVE), *loopback_options(port), *extra]


def streamlit_command(script: Path, port: int, *extra: str) -> list[str]:
    """Any other script under plain `streamlit run`."""
    return [sys.executable, "-m", "streamlit", "run", str(script), *loopback_options(port), *extra]


def wait_healthy(
    url: str, process: subprocess.Popen[bytes], log: Callable[[], str], timeout: float = 30.0
) -> float:
    """Seconds until `/_stcore/health` answers 200; raises with the log if the process dies."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except OSError:
            time.sleep(0.02)  # polling the health endpoint, not standing in for a wait
    raise RuntimeError(f"streamlit did not become healthy:\n{log()}")


def stop_process(process: subprocess.Popen[Any] | None, timeout: float = 10.0) -> None:
    """Terminate, then kill if it does not exit in time."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def run_until_stopped() -> None:
    """Block a command-line server's main thread until Ctrl-C or SIGTERM; the caller's `finally`
    stops what it started."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        signal.pause()
