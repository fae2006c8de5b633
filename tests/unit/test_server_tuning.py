"""server_tuning.nodelay_on_server_sockets: TCP_NODELAY on a running server's sockets, found among
this process's descriptors by their local port, on real loopback sockets; and the GIL setting its
import applies."""

from __future__ import annotations

import selectors
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
from streamlit.web.server.starlette import starlette_server

import server_tuning
from tests.conftest import ROOT


def nodelay(sock: socket.socket) -> int:
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


class Server:
    """A listening socket bound the way Streamlit binds it, and the connections it accepted."""

    def __init__(self) -> None:
        self.listener = starlette_server._bind_socket("127.0.0.1", 0, 8)
        self.port: int = self.listener.getsockname()[1]
        self.clients: list[socket.socket] = []
        self.accepted: list[socket.socket] = []

    def connect(self) -> socket.socket:
        """One client connection, and its accepted server side."""
        self.clients.append(socket.create_connection(("127.0.0.1", self.port), timeout=5))
        with selectors.DefaultSelector() as selector:  # select() refuses descriptors past 1,024
            selector.register(self.listener, selectors.EVENT_READ)
            ready = selector.select(5)
        assert ready, "the connection never reached the accept queue"
        conn, _ = self.listener.accept()
        self.accepted.append(conn)
        return conn

    def close(self) -> None:
        for sock in [*self.clients, *self.accepted, self.listener]:
            sock.close()


@pytest.fixture
def servers() -> Iterator[tuple[Server, Server]]:
    ours, other = Server(), Server()
    yield ours, other
    ours.close()
    other.close()


def test_streamlit_binding_leaves_nagle_on_the_sockets_to_tune(servers):
    """The starting point the function exists for (if this fails, Streamlit changed)."""
    ours, _ = servers
    assert nodelay(ours.listener) == 0
    assert nodelay(ours.connect()) == 0


def test_sets_the_listener_and_accepted_connections_of_that_port_only(servers):
    ours, other = servers
    before = ours.connect()
    untouched = other.connect()

    assert server_tuning.nodelay_on_server_sockets(ours.port) == 2  # the listener and `before`

    assert nodelay(ours.listener) != 0
    assert nodelay(before) != 0
    assert nodelay(other.listener) == 0
    assert nodelay(untouched) == 0
    assert all(nodelay(client) == 0 for client in ours.clients)  # the client side is not ours


def test_connections_accepted_afterwards_inherit_it(servers):
    ours, _ = servers
    server_tuning.nodelay_on_server_sockets(ours.port)
    assert nodelay(ours.connect()) != 0


def test_a_second_pass_has_nothing_left_to_set(servers):
    ours, _ = servers
    ours.connect()
    assert server_tuning.nodelay_on_server_sockets(ours.port) == 2
    assert server_tuning.nodelay_on_server_sockets(ours.port) == 0


def test_outside_a_running_server_it_does_nothing():
    assert server_tuning.tune_running_server() is None


def test_importing_it_shortens_gil_turns():
    probe = (
        "import sys\nprint(sys.getswitchinterval())\nimport server_tuning\nprint(sys.getswitchinterval())\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    before, after = done.stdout.split("\n")[:2]
    assert before == "0.005"  # Python's default
    assert after == "0.001"
