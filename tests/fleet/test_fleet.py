"""scripts/fleet.sh: it prints the proxy's URL first, serves through Caddy with sticky replicas,
and SIGTERM or SIGINT stops every process it started (and the database it made)."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import urllib.request
from pathlib import Path

import psycopg
import pytest

from tests.fleet.conftest import FLEET, alive, children_of, command_line, fleet_env, postgres_server
from tests.waiting import wait_until

ANONYMOUS_WARNING = "WARNING: GPTPROTO_ALLOW_ANONYMOUS=true and no sign-in is configured"


def _get(url: str, cookie: str | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()


def _accepts(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _databases() -> set[str]:
    with psycopg.connect(postgres_server()) as conn:
        return {row[0] for row in conn.execute("SELECT datname FROM pg_database")}


@pytest.mark.postgres
@pytest.mark.timeout(300)
def test_two_replicas_behind_the_proxy_then_sigterm_stops_everything(fleet_factory):
    fleet = fleet_factory(2)

    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", fleet.lines[0]), fleet.lines
    assert len(fleet.replicas) == 2
    status, _, body = _get(f"{fleet.url}/_stcore/health")
    assert (status, body) == (200, b"ok")

    # The proxy pins a browser to one replica by cookie, and a browser without one may land on
    # either; the header names the replica that answered.
    addresses = {r.address for r in fleet.replicas}
    status, headers, _ = _get(fleet.url)
    first = headers["x-gptproto-replica"]
    assert status == 200 and first in addresses
    cookie = headers["set-cookie"].split(";", 1)[0]
    assert cookie.startswith("gptproto_replica=")
    for _ in range(5):
        assert _get(fleet.url, cookie)[1]["x-gptproto-replica"] == first

    # What runs, seen from /proc rather than taken from fleet.sh's word.
    started = children_of(fleet.process.pid)
    replica_pids = {r.pid for r in fleet.replicas}
    assert replica_pids | {fleet.caddy_pid} <= started
    assert all("serve.py" in command_line(pid) for pid in replica_pids)
    assert "caddy" in command_line(fleet.caddy_pid)
    ports = [_port(fleet.url), *(_port(r.url) for r in fleet.replicas)]
    assert all(_accepts(port) for port in ports)
    # The fleet's own database, made in the tests' server (whichever port it listens on).
    database = re.match(rf"database {re.escape(postgres_server(''))}(\w+) ", fleet.database_line)
    assert database, fleet.database_line
    assert database.group(1) in _databases()

    # fleet_env accepted anonymous use: fleet.sh and every replica say so in their logs.
    assert ANONYMOUS_WARNING in fleet.stderr()
    assert all(ANONYMOUS_WARNING in replica.log_text() for replica in fleet.replicas)
    assert all("--require-sign-in" in command_line(pid) for pid in replica_pids)

    assert fleet.stop(signal.SIGTERM) == 143
    assert not [pid for pid in started if alive(pid)], [command_line(p) for p in started if alive(p)]
    assert not any(_accepts(port) for port in ports)
    assert database.group(1) not in _databases()


@pytest.mark.postgres
@pytest.mark.timeout(300)
def test_sigint_also_stops_a_throwaway_postgres_cluster(fleet_factory):
    fleet = fleet_factory(1, fleet_env(), "--throwaway-postgres")
    found = re.search(r"throwaway cluster pid (\d+) in (\S+),", fleet.database_line)
    assert found, fleet.database_line
    postmaster, cluster = int(found.group(1)), Path(found.group(2))
    # The postmaster detaches from pg_ctl; find its processes by their parent, from /proc.
    postgres_pids = {postmaster} | children_of(postmaster)
    assert f"-D {cluster}/data" in command_line(postmaster)
    url = re.search(r"postgresql://\S+", fleet.database_line)
    assert url
    with psycopg.connect(url.group(0)) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    started = children_of(fleet.process.pid) | postgres_pids

    assert fleet.stop(signal.SIGINT) == 130
    assert wait_until(lambda: not any(alive(pid) for pid in started), timeout=10), [
        command_line(p) for p in started if alive(p)
    ]
    assert not cluster.exists()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ([], "say how many replicas to start"),
        (["0"], "from 1 to 16, not '0'"),
        (["two"], "from 1 to 16, not 'two'"),
        (["2", "--port"], "--port needs a port number"),
        (["2", "--port", "http"], "--port must be a port number"),
        (["2", "--replicas"], "unknown option --replicas"),
        (["2", "--postgres-server"], "--postgres-server needs a URL"),
    ],
)
def test_bad_arguments_say_what_to_do_and_start_nothing(arguments, message):
    done = subprocess.run(
        ["bash", str(FLEET), *arguments], capture_output=True, text=True, env=fleet_env(), timeout=30
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_fleet_without_sign_in_does_not_start(tmp_path):
    env = {k: v for k, v in fleet_env().items() if k != "GPTPROTO_ALLOW_ANONYMOUS"}
    done = subprocess.run(
        ["bash", str(FLEET), "1", "--dir", str(tmp_path / "fleet")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stdout == ""  # no proxy URL: nothing was started
    assert "Not starting: this is a replica for a team and no sign-in is configured" in done.stderr
    assert "GPTPROTO_IDENTITY_HEADER" in done.stderr and "GPTPROTO_ALLOW_ANONYMOUS=true" in done.stderr
    assert not list((tmp_path / "fleet").glob("replica-*.log"))
    assert "Traceback" not in done.stderr
