"""Run `scripts/fleet.sh` (PostgreSQL, N replicas of serve.py, Caddy in front) as a real process
group, read what it prints, and look at the processes it started from the outside."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.storage.conftest import POSTGRES_URL

ROOT = Path(__file__).resolve().parents[2]
FLEET = ROOT / "scripts" / "fleet.sh"
SECRETS = ROOT / ".streamlit" / "secrets.toml"
START_TIMEOUT = 180.0  # a fresh machine installs Caddy first


def postgres_server(database: str = "postgres") -> str:
    """A URL to `database` in the PostgreSQL server every test uses (GPTPROTO_TEST_POSTGRES_URL:
    the machine's, or the throwaway one scripts/test.sh starts when none answers)."""
    return urlunsplit(urlsplit(POSTGRES_URL)._replace(path=f"/{database}"))


@dataclass
class Replica:
    number: int
    url: str
    pid: int
    log: Path

    @property
    def address(self) -> str:
        """host:port, as Caddy names its upstream."""
        return self.url.removeprefix("http://")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class Fleet:
    """A running `fleet.sh`: the proxy URL it printed first, and what it said it started."""

    process: subprocess.Popen[str]
    stderr_log: Path
    first_line: str = ""
    replicas: list[Replica] = field(default_factory=list)
    caddy_pid: int = 0
    database_line: str = ""
    lines: list[str] = field(default_factory=list)
    output: queue.Queue[str | None] = field(default_factory=queue.Queue)

    @property
    def url(self) -> str:
        return self.first_line

    def replica_at(self, address: str) -> Replica:
        return next(r for r in self.replicas if r.address == address)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 60.0) -> int:
        """Signal fleet.sh and wait for it to exit; its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)

    def stderr(self) -> str:
        return self.stderr_log.read_text(errors="replace") if self.stderr_log.exists() else ""

    def next_line(self, pattern: str, timeout: float) -> re.Match[str]:
        """The next line printed after `ready` that matches `pattern` (lines before it are kept
        in `lines`); raises with the stderr if none comes in time or fleet.sh exits."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.output.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                raise RuntimeError(f"fleet.sh exited waiting for {pattern!r}:\n{self.stderr()}")
            self.lines.append(line)
            if match := re.fullmatch(pattern, line):
                return match
        raise RuntimeError(f"no line matching {pattern!r} within {timeout:.0f} s:\n{self.stderr()}")


def fleet_env(**overrides: str) -> dict[str, str]:
    """The test's sealed environment (no STREAMLIT_* leaking in), with anonymous use accepted (a
    fleet without sign-in only starts when the operator says so), plus overrides."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    env["GPTPROTO_ALLOW_ANONYMOUS"] = "true"
    env.update(overrides)
    return env


def start_fleet(replicas: int, workdir: Path, env: dict[str, str], *options: str) -> Fleet:
    """Start fleet.sh and read its output up to the `ready` line; raises with its stderr if it
    exits first or takes too long. Its database is made in the tests' PostgreSQL server."""
    if SECRETS.exists():
        # The replicas run from the repository root, as deployed: secrets.toml there comes before
        # the environment and would point them away from the stand-in.
        pytest.fail(f"{SECRETS} would override the test's settings: move it away to run tests/fleet")
    workdir.mkdir(parents=True, exist_ok=True)
    stderr_log = workdir / "fleet-stderr.log"
    process = subprocess.Popen(
        [
            *("bash", str(FLEET), str(replicas), "--dir", str(workdir)),
            *("--postgres-server", postgres_server(), *options),
        ],
        stdout=subprocess.PIPE,
        stderr=stderr_log.open("w"),
        env=env,
        text=True,
    )
    fleet = Fleet(process, stderr_log)
    lines = fleet.output

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    while True:
        try:
            line = lines.get(timeout=START_TIMEOUT)
        except queue.Empty:
            fleet.stop()  # SIGTERM: fleet.sh stops what it started so far
            raise RuntimeError(
                f"fleet.sh was not ready after {START_TIMEOUT:.0f} s:\n{fleet.stderr()}"
            ) from None
        if line is None:
            process.wait(timeout=30)
            raise RuntimeError(f"fleet.sh exited with {process.returncode}:\n{fleet.stderr()}")
        fleet.lines.append(line)
        if not fleet.first_line:
            fleet.first_line = line
        elif match := re.fullmatch(r"replica (\d+) (\S+) pid (\d+) log (.+)", line):
            number, url, pid, log = match.groups()
            fleet.replicas.append(Replica(int(number), url, int(pid), Path(log)))
        elif match := re.match(r"caddy pid (\d+) ", line):
            fleet.caddy_pid = int(match.group(1))
        elif line.startswith("database "):
            fleet.database_line = line
        elif line.startswith("ready"):
            return fleet


@pytest.fixture
def fleet_factory(tmp_path) -> Iterator[Callable[..., Fleet]]:
    """`fleet_factory(n, env, *options)` starts a fleet that is stopped after the test."""
    started: list[Fleet] = []

    def start(replicas: int, env: dict[str, str] | None = None, *options: str) -> Fleet:
        fleet = start_fleet(replicas, tmp_path / f"fleet-{len(started)}", env or fleet_env(), *options)
        started.append(fleet)
        return fleet

    yield start
    for fleet in started:
        fleet.stop()


def children_of(pid: int) -> set[int]:
    """Every live descendant of `pid`, read from /proc (not from what fleet.sh printed)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie waiting to be reaped does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
