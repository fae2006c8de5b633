"""The processes the scenario runs on loopback: the stand-in gateway, one replica of serve.py with
its own fresh database, and `scripts/fleet.sh N` (PostgreSQL, N replicas, Caddy); and the CPU
time they use, read from /proc."""

from __future__ import annotations

import json
import os
import queue
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVE = ROOT / "serve.py"
FLEET = ROOT / "scripts" / "fleet.sh"
SECRETS = ROOT / ".streamlit" / "secrets.toml"
POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class SetupError(Exception):
    """A process the scenario needs did not start; the message says what to do."""


# -- /proc ------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of every thread of `pid` so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14 and 15)


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


def load_average() -> tuple[float, float, float]:
    one, five, fifteen = os.getloadavg()
    return round(one, 2), round(five, 2), round(fifteen, 2)


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


# -- helpers ----------------------------------------------------------------------------------


def sealed_env(**settings: str) -> dict[str, str]:
    """This process's environment without app or Streamlit settings, plus `settings`."""
    drop = ("STREAMLIT_", "GPTPROTO_", "OPENAI_", "DATABASE_URL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(settings)
    return env


def wait_healthy(url: str, processes: Iterable[subprocess.Popen[bytes]], timeout: float, log: Path) -> None:
    """Until `url/_stcore/health` answers 200; SetupError with the log's tail if a process dies."""
    deadline = time.monotonic() + timeout
    while True:
        for process in processes:
            if process.poll() is not None:
                raise SetupError(f"{process.args!r} exited with {process.returncode}:\n{tail(log)}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SetupError(f"{url} was not healthy after {timeout:.0f} s:\n{tail(log)}")
        time.sleep(0.1)  # polling the health endpoint


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop(process: subprocess.Popen[bytes] | None, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
    """Signal one process we started and wait for it; SIGKILL if it lingers."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def refuse_local_secrets() -> None:
    if SECRETS.exists():
        raise SetupError(
            f"{SECRETS} would override the scenario's settings (replicas run from the repository root,"
            " where secrets.toml comes before the environment): move it away while the scenario runs."
        )


# -- the stand-in -----------------------------------------------------------------------------


@dataclass
class StandInProcess:
    """`python -m bench.fleet_load.standin` in its own process."""

    words: int
    chunk_delay: float
    first_token_delay: float
    workdir: Path
    process: subprocess.Popen[bytes] | None = None
    base_url: str = ""
    stats_url: str = ""
    api_key: str = "sk-fleet-load"

    def start(self) -> StandInProcess:
        log = self.workdir / "standin.log"
        command = [
            sys.executable,
            "-m",
            "bench.fleet_load.standin",
            "--key",
            self.api_key,
            "--words",
            str(self.words),
            "--chunk-delay",
            str(self.chunk_delay),
            "--first-token-delay",
            str(self.first_token_delay),
        ]
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log.open("wb"), env=sealed_env()
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode().split()
        if len(line) != 3 or line[0] != "ready":
            stop(self.process)
            raise SetupError(f"the stand-in did not start:\n{tail(log)}")
        self.base_url, self.stats_url = line[1], line[2]
        return self

    def counts(self) -> dict[str, int]:
        with urllib.request.urlopen(self.stats_url, timeout=10) as response:
            counted: dict[str, int] = json.loads(response.read())
        return counted

    def stop(self) -> None:
        stop(self.process)


# -- one replica ------------------------------------------------------------------------------


def postgres_available() -> bool:
    try:
        import psycopg

        psycopg.connect(POSTGRES_ADMIN, connect_timeout=2).close()
    except Exception:  # any failure means: use SQLite
        return False
    return True


@dataclass
class Database:
    """A fresh database for one replica: PostgreSQL on 127.0.0.1:5432 (dropped at the end), or
    SQLite in the work folder."""

    workdir: Path
    use_postgres: bool
    name: str = ""

    def settings(self) -> dict[str, str]:
        if not self.use_postgres:
            return {"GPTPROTO_DATA_DIR": str(self.workdir / "data")}
        import psycopg

        self.name = f"gptproto_load_{secrets.token_hex(6)}"
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        return {
            "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{self.name}",
            "GPTPROTO_DATA_DIR": str(self.workdir / "data"),
        }

    def describe(self) -> str:
        return f"PostgreSQL database {self.name} (fresh)" if self.use_postgres else "SQLite (fresh)"

    def drop(self) -> None:
        if not self.name:
            return
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self.name = ""


@dataclass
class Replica:
    """serve.py on a free loopback port, run from the repository root as fleet.sh runs it."""

    port: int
    settings: dict[str, str]
    workdir: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 90) -> Replica:
        log = self.workdir / f"replica-{self.port}.log"
        command = [
            sys.executable,
            str(SERVE),
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(self.port),
            "--browser.gatherUsageStats",
            "false",
        ]
        env = sealed_env(**self.settings)
        env["STREAMLIT_SERVER_COOKIE_SECRET"] = secrets.token_hex(32)
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
        )
        wait_healthy(self.url, [self.process], timeout, log)
        return self

    def stop(self) -> None:
        stop(self.process)


# -- the fleet --------------------------------------------------------------------------------


@dataclass
class FleetProcess:
    """`bash scripts/fleet.sh N`: what it printed (proxy URL, replicas, Caddy, database)."""

    replicas: int
    settings: dict[str, str]
    workdir: Path
    process: subprocess.Popen[bytes] | None = None
    url: str = ""
    replica_pids: dict[str, int] = field(default_factory=dict)  # host:port -> pid
    caddy_pid: int = 0
    database: str = ""
    lines: list[str] = field(default_factory=list)

    def start(self, timeout: float = 240) -> FleetProcess:
        stderr = self.workdir / "fleet-stderr.log"
        self.process = subprocess.Popen(
            ["bash", str(FLEET), str(self.replicas), "--dir", str(self.workdir / "fleet")],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=stderr.open("wb"),
            env=sealed_env(**self.settings),
        )
        stdout = self.process.stdout
        assert stdout is not None
        lines: queue.Queue[bytes] = queue.Queue()

        def pump() -> None:
            for raw in iter(stdout.readline, b""):
                lines.put(raw)
            lines.put(b"")

        threading.Thread(target=pump, name="fleet-stdout", daemon=True).start()
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                raw = lines.get(timeout=remaining)
            except queue.Empty:
                break
            if not raw:
                self.process.wait(timeout=30)
                raise SetupError(f"fleet.sh exited with {self.process.returncode}:\n{tail(stderr)}")
            line = raw.decode().rstrip("\n")
            self.lines.append(line)
            if not self.url:
                self.url = line
            elif match := re.fullmatch(r"replica \d+ http://(\S+) pid (\d+) log .+", line):
                self.replica_pids[match.group(1)] = int(match.group(2))
            elif match := re.match(r"caddy pid (\d+) ", line):
                self.caddy_pid = int(match.group(1))
            elif line.startswith("database "):
                self.database = line.removeprefix("database ")
            elif line.startswith("ready"):
                return self
        self.stop()
        raise SetupError(f"fleet.sh was not ready after {timeout:.0f} s:\n{tail(stderr)}")

    def stop(self) -> None:
        """SIGTERM: fleet.sh stops its replicas, Caddy and the database it made."""
        stop(self.process, timeout=90)
