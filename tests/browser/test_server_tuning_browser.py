"""`import server_tuning` in a script started with plain `streamlit run`: once the page has run,
the server's listening socket and its connections are TCP_NODELAY, including one accepted before.

The sockets are read from outside the server process, through duplicates of its descriptors
(pidfd_getfd), so the test sees what the kernel holds rather than what the module reports.
"""

from __future__ import annotations

import ctypes
import errno
import http.client
import os
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from devtools.browser import free_port
from devtools.process import stop_process, streamlit_command, wait_healthy
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

SYS_PIDFD_GETFD = 438  # the same number on every Linux architecture

TUNED = 'import streamlit as st\n\nimport server_tuning  # noqa: F401\n\nst.write("tuned page ran")\n'
PLAIN = 'import streamlit as st\n\nst.write("plain page ran")\n'


@dataclass
class Observed:
    """TCP_NODELAY of the server's listening socket and of each connection, by the client port."""

    listener: int
    connections: dict[int, int]


class ServerSockets:
    """Reads the sockets of another process on one port."""

    def __init__(self, pid: int, port: int) -> None:
        self.pid = pid
        self.port = port
        self._syscall = ctypes.CDLL(None, use_errno=True).syscall
        self._pidfd = os.pidfd_open(pid)

    def _duplicate(self, fd: int) -> socket.socket | None:
        duplicate = self._syscall(SYS_PIDFD_GETFD, self._pidfd, fd, 0)
        if duplicate < 0:
            code = ctypes.get_errno()
            if code in (errno.EPERM, errno.ENOSYS, errno.EACCES):
                pytest.skip(f"cannot read another process's sockets here: {os.strerror(code)}")
            return None  # closed since the listing
        try:
            return socket.socket(fileno=duplicate)
        except OSError:  # not a socket
            os.close(duplicate)
            return None

    def observe(self) -> Observed:
        listener: int | None = None
        connections: dict[int, int] = {}
        for name in os.listdir(f"/proc/{self.pid}/fd"):
            sock = self._duplicate(int(name))
            if sock is None:
                continue
            with sock:
                if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.type != socket.SOCK_STREAM:
                    continue
                if sock.getsockname()[1] != self.port:
                    continue
                value = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
                if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                    listener = value
                else:
                    try:
                        connections[sock.getpeername()[1]] = value
                    except OSError:  # the peer left meanwhile
                        continue
        assert listener is not None, f"no socket of process {self.pid} listens on {self.port}"
        return Observed(listener, connections)

    def close(self) -> None:
        os.close(self._pidfd)


@dataclass
class Started:
    url: str
    sockets: ServerSockets


def start(tmp_path: Path, script: str) -> Iterator[Started]:
    path = tmp_path / "page.py"
    path.write_text(script)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    env["PYTHONPATH"] = str(ROOT)  # where server_tuning lives; the script is elsewhere
    log_path = tmp_path / "streamlit.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            streamlit_command(path, port), cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, process, lambda: log_path.read_text(errors="replace"))
        sockets = ServerSockets(process.pid, port)
        yield Started(url, sockets)
        sockets.close()
    finally:
        stop_process(process)


@pytest.fixture
def tuned(tmp_path) -> Iterator[Started]:
    yield from start(tmp_path, TUNED)


@pytest.fixture
def plain(tmp_path) -> Iterator[Started]:
    yield from start(tmp_path, PLAIN)


def keep_alive(url: str) -> tuple[http.client.HTTPConnection, int]:
    """An open HTTP/1.1 connection that has had one answer; and its local (client) port."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", "/_stcore/health")
    response = connection.getresponse()
    response.read()
    assert response.status == 200
    assert connection.sock is not None
    return connection, connection.sock.getsockname()[1]


def test_plain_streamlit_run_leaves_nagle_on(plain: Started, page: Page):
    """The control: without the import, nothing sets TCP_NODELAY, before or after the page runs.
    If this fails, Streamlit sets it itself and server_tuning can go."""
    early, early_port = keep_alive(plain.url)
    page.goto(plain.url)
    expect(page.get_by_text("plain page ran")).to_be_visible()
    late, late_port = keep_alive(plain.url)

    seen = plain.sockets.observe()

    assert seen.listener == 0
    assert seen.connections[early_port] == 0
    assert seen.connections[late_port] == 0
    early.close()
    late.close()


def test_the_import_sets_nodelay_on_the_running_server(tuned: Started, page: Page):
    early, early_port = keep_alive(tuned.url)  # accepted before any page has run
    before = tuned.sockets.observe()
    assert before.listener == 0
    assert before.connections[early_port] == 0

    page.goto(tuned.url)
    expect(page.get_by_text("tuned page ran")).to_be_visible()  # the import has run
    late, late_port = keep_alive(tuned.url)

    after = tuned.sockets.observe()

    assert after.listener != 0
    assert after.connections[early_port] != 0  # already open: set by the sweep
    assert after.connections[late_port] != 0  # accepted afterwards: inherited from the listener
    assert len(after.connections) >= 3  # the page's own connections (its websocket among them)
    assert all(after.connections.values()), after.connections
    early.close()
    late.close()
