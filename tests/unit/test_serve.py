"""serve.py: the server's connections are TCP_NODELAY, and no public-address lookup goes out."""

from __future__ import annotations

import asyncio
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest
from streamlit import net_util
from streamlit.web.server.starlette import starlette_server

import serve


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


@pytest.fixture
def restored_bind(monkeypatch):
    """Whatever use_tcp_nodelay() installs is undone after the test."""
    monkeypatch.setattr(starlette_server, "_bind_socket", starlette_server._bind_socket)


def test_streamlit_own_binding_leaves_nagle_on():
    """Why serve.py exists: the socket Streamlit binds gives connections without TCP_NODELAY.
    If this starts failing, Streamlit has fixed it and serve.py's fix can go."""
    listener = starlette_server._bind_socket("127.0.0.1", 0, 8)
    assert nodelay_of_accepted_connection(listener) == 0


def test_as_tcp_makes_accepted_connections_nodelay():
    listener = serve.as_tcp(starlette_server._bind_socket("127.0.0.1", 0, 8))
    assert listener.proto == socket.IPPROTO_TCP
    assert listener.getblocking() is False
    assert listener.get_inheritable() is True
    assert nodelay_of_accepted_connection(listener) != 0


def test_use_tcp_nodelay_wraps_streamlit_binding_once(restored_bind):
    assert serve.use_tcp_nodelay() is True
    wrapped = starlette_server._bind_socket
    assert serve.use_tcp_nodelay() is True
    assert starlette_server._bind_socket is wrapped  # not wrapped twice
    listener = starlette_server._bind_socket("127.0.0.1", 0, 8)
    assert nodelay_of_accepted_connection(listener) != 0


def test_use_tcp_nodelay_tolerates_a_streamlit_that_binds_differently(monkeypatch):
    monkeypatch.delattr(starlette_server, "_bind_socket")
    assert serve.use_tcp_nodelay() is False


def test_external_ip_lookup_sends_nothing(monkeypatch):
    sent: list[str] = []
    monkeypatch.setattr(net_util, "_make_blocking_http_get", lambda url, timeout: sent.append(url))
    monkeypatch.setattr(net_util, "get_external_ip", net_util.get_external_ip)
    monkeypatch.setattr(net_util, "_external_ip", None)
    serve.skip_external_ip_lookup()
    assert net_util.get_external_ip() is None
    assert sent == []
