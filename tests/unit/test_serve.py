"""serve.py as it is started: a real `python serve.py` process on a free loopback port, checked from
outside. Its accepted connections are TCP_NODELAY, it sends no public-address lookup, every
response carries the security headers, and its metrics answer only requests made on this machine."""

from __future__ import annotations

import asyncio
import ctypes
import http.client
import os
import re
import socket
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from streamlit.web.server.starlette import starlette_server

import serve
from devtools.process import app_command, stop_process, wait_healthy

SYS_PIDFD_GETFD = 438  # the same number on every Linux architecture (5.6+)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pidfd_getfd(pid: int, fd: int) -> int:
    """A duplicate of descriptor `fd` of process `pid`: the very same socket, read from outside."""
    libc = ctypes.CDLL(None, use_errno=True)
    pidfd = os.pidfd_open(pid)
    try:
        duplicate = int(libc.syscall(SYS_PIDFD_GETFD, pidfd, fd, 0))
    finally:
        os.close(pidfd)
    if duplicate < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"pidfd_getfd({pid}, {fd}): {os.strerror(errno)}")
    return duplicate


def server_side_nodelay(pid: int, client: socket.socket) -> int:
    """TCP_NODELAY of the server's own socket for `client`'s connection.

    The option lives on the server's side of the connection and cannot be seen from the client.
    So the test takes a duplicate of each of the server's socket descriptors (pidfd_getfd; allowed
    for a child of this process), finds the one whose peer is `client`, and reads the option
    there. Nothing in the server is wrapped or changed: this is the socket the server accepted."""
    wanted = client.getsockname()
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            if not os.readlink(f"/proc/{pid}/fd/{name}").startswith("socket:"):
                continue
        except FileNotFoundError:  # closed meanwhile
            continue
        # Closing the duplicate leaves the server's descriptor open.
        with socket.socket(fileno=pidfd_getfd(pid, int(name))) as duplicate:
            try:
                peer = duplicate.getpeername()
            except OSError:  # the listening socket, or not connected
                continue
            if peer == wanted:
                return duplicate.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    raise AssertionError(f"serve.py (pid {pid}) has no socket connected to {wanted}")


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    lookups: socket.socket  # where the process's proxy settings send any outgoing HTTP(S) request
    log: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    """`python serve.py` on a free loopback port, with every HTTP(S) request it might send to a
    third party routed (by the standard proxy variables, which Streamlit's `requests` call obeys)
    to a loopback socket the test watches, so nothing leaves the machine either way."""
    workdir = tmp_path_factory.mktemp("serve")
    lookups = socket.create_server(("127.0.0.1", 0))
    proxy = f"http://127.0.0.1:{lookups.getsockname()[1]}"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GPTPROTO_", "OPENAI_", "STREAMLIT_")) and k.lower() != "no_proxy"
    }
    env.update(
        GPTPROTO_DATA_DIR=str(workdir / "data"),
        HTTP_PROXY=proxy,
        HTTPS_PROXY=proxy,
        http_proxy=proxy,
        https_proxy=proxy,
    )
    env.pop("DATABASE_URL", None)
    port = free_port()
    log = workdir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(app_command(port), cwd=workdir, env=env, stdout=out, stderr=out)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process, log.read_text)
        yield Served(process, port, lookups, log)
    finally:
        stop_process(process)
        lookups.close()


def test_served_connections_are_tcp_nodelay(served):
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as client:
        # A whole request and response first, so the server has accepted and set up the connection.
        client.sendall(f"GET /_stcore/health HTTP/1.1\r\nHost: 127.0.0.1:{served.port}\r\n\r\n".encode())
        assert client.recv(4096).startswith(b"HTTP/1.1 200")
        assert server_side_nodelay(served.process.pid, client) != 0


def test_served_app_sends_no_public_address_lookup(served):
    """A websocket from an origin Streamlit does not know makes it check whether that origin is the
    machine's public address, which plain `streamlit run` looks up with an HTTP request there and
    then. Once the handshake is refused, a lookup would already have been sent."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as client:
        client.sendall(
            (
                "GET /_stcore/stream HTTP/1.1\r\n"
                f"Host: 127.0.0.1:{served.port}\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                "Origin: http://chat.example.test\r\n\r\n"
            ).encode()
        )
        assert client.recv(4096).startswith(b"HTTP/1.1 403"), served.log.read_text()
    served.lookups.setblocking(False)
    with pytest.raises(BlockingIOError):  # no connection is waiting: nothing was sent
        served.lookups.accept()


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names, each seen once) and body of one GET, sent straight to the
    port, whatever proxy the environment names."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        names = [name.lower() for name, _ in response.getheaders()]
        assert len(names) == len(set(names)), f"a header appears twice in {path}: {names}"
        return (
            response.status,
            {name.lower(): value for name, value in response.getheaders()},
            response.read(),
        )
    finally:
        connection.close()


def test_every_response_carries_the_security_headers(served):
    _, _, index = get(served.port, "/")
    script = re.search(rb'src="\./(static/js/index\.[^"]+\.js)"', index)
    assert script, index[:500]
    paths = {
        "/": 200,
        f"/{script.group(1).decode()}": 200,
        "/_stcore/health": 200,
        "/media/0123456789abcdef.png": 404,  # nothing shown yet: Streamlit's own 404
    }
    for path, status in paths.items():
        answered, headers, _ = get(served.port, path)
        assert answered == status, path
        assert headers["x-frame-options"] == "DENY", path
        assert headers["content-security-policy"] == "frame-ancestors 'none'", path
        assert headers["x-content-type-options"] == "nosniff", path


def test_metrics_answer_only_requests_made_on_this_machine(served):
    status, _, body = get(served.port, "/_stcore/metrics")
    assert status == 200 and b"session_events_total" in body
    refused = f"ask http://127.0.0.1:{served.port}/_stcore/metrics from the server itself".encode()
    for headers in (
        {"X-Forwarded-For": "203.0.113.9"},
        {"Forwarded": "for=203.0.113.9"},
        {"X-Real-IP": "203.0.113.9"},
        {"Host": "chat.example.com"},  # a page whose name was rebound to 127.0.0.1
    ):
        status, _, body = get(served.port, "/_stcore/metrics", headers)
        assert status == 403, headers
        assert refused in body and b"session_events" not in body


def nodelay_of_accepted_connection(listener: socket.socket) -> int:
    """TCP_NODELAY on the server side of one connection accepted by an asyncio server, the way
    uvicorn accepts them (`create_server(sock=...)`)."""

    async def accept_one() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                conn = transport.get_extra_info("socket")
                accepted.set_result(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        port = listener.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            return await asyncio.wait_for(accepted, 5)
        finally:
            writer.close()
            server.close()
            await server.wait_closed()

    # Its own thread: another test's Playwright may keep an event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, accept_one()).result(timeout=30)


def test_as_tcp_makes_accepted_connections_nodelay():
    listener = serve.as_tcp(starlette_server._bind_socket("127.0.0.1", 0, 8))
    assert listener.proto == socket.IPPROTO_TCP
    assert listener.getblocking() is False
    assert listener.get_inheritable() is True
    assert nodelay_of_accepted_connection(listener) != 0


def test_use_tcp_nodelay_wraps_streamlit_binding_once(monkeypatch):
    monkeypatch.setattr(starlette_server, "_bind_socket", starlette_server._bind_socket)
    assert serve.use_tcp_nodelay() is True
    wrapped = starlette_server._bind_socket
    assert serve.use_tcp_nodelay() is True
    assert starlette_server._bind_socket is wrapped  # not wrapped twice


def test_use_tcp_nodelay_tolerates_a_streamlit_that_binds_differently(monkeypatch):
    monkeypatch.delattr(starlette_server, "_bind_socket")
    assert serve.use_tcp_nodelay() is False
