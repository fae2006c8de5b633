"""TCP_NODELAY on Streamlit's server connections, however the app was started.

Streamlit's Starlette server binds its listening socket itself, with protocol number 0. asyncio
turns Nagle's algorithm off (TCP_NODELAY) only on connections whose socket says IPPROTO_TCP, so
every connection the app accepts keeps Nagle on. A response written in two parts (headers, then a
small body) then waits for the browser's delayed ACK: about 40 ms for each of the ~90 scripts a
fresh page loads over six connections, and for a websocket message sent right after another.

Two ways to fix it, one per start command:

- `serve.py` (scripts/start.sh) calls `use_tcp_nodelay()` before the server starts: the listening
  socket is re-declared as TCP, so asyncio sets TCP_NODELAY on every connection from the first.
- `streamlit run app.py` has already bound and accepted connections by the time the app's code
  runs. Importing this module from app.py then sets TCP_NODELAY, once per process, on the
  listening socket (Linux copies it to every connection accepted afterwards) and on the
  connections already accepted (the first visitor's page and websocket). It finds them among the
  process's open file descriptors by their local port, which is `server.port`; it only sets a
  socket option, through duplicates of the descriptors, and touches nothing else.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
import threading
from collections.abc import Callable, Iterator

log = logging.getLogger("gptproto.server_tuning")

_FD_DIRS = ("/proc/self/fd", "/dev/fd")
_lock = threading.Lock()
_tuned_port: int | None = None


def as_tcp(sock: socket.socket) -> socket.socket:
    """The same listening socket, declared IPPROTO_TCP so asyncio sets TCP_NODELAY on the
    connections it accepts (a no-op for a socket that already says so)."""
    if sock.proto == socket.IPPROTO_TCP or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return sock
    blocking, inheritable = sock.getblocking(), sock.get_inheritable()
    tcp = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
    tcp.setblocking(blocking)
    tcp.set_inheritable(inheritable)
    return tcp


def use_tcp_nodelay() -> bool:
    """Before the server starts: wrap Streamlit's socket binding with `as_tcp`; False (and a
    warning) if this Streamlit version binds differently."""
    try:
        from streamlit.web.server.starlette import starlette_server
    except ImportError:
        log.warning("Streamlit's Starlette server was not found; TCP_NODELAY is left to Streamlit.")
        return False
    bind: Callable[[str, int, int], socket.socket] | None = getattr(starlette_server, "_bind_socket", None)
    if bind is None:
        log.warning("Streamlit binds its socket differently now; TCP_NODELAY is left to Streamlit.")
        return False
    if getattr(bind, "declares_tcp", False):
        return True

    def bind_as_tcp(address: str, port: int, backlog: int) -> socket.socket:
        return as_tcp(bind(address, port, backlog))

    bind_as_tcp.declares_tcp = True  # type: ignore[attr-defined]
    starlette_server._bind_socket = bind_as_tcp
    return True


def _open_descriptors() -> list[int]:
    for directory in _FD_DIRS:
        with contextlib.suppress(OSError):
            return sorted(int(name) for name in os.listdir(directory) if name.isdigit())
    return []


def _tcp_sockets() -> Iterator[socket.socket]:
    """A duplicate of each TCP socket this process has open (the caller closes it)."""
    for fd in _open_descriptors():
        try:
            duplicate = os.dup(fd)
        except OSError:  # closed since the listing
            continue
        try:
            sock = socket.socket(fileno=duplicate)  # family and type read from the descriptor
        except OSError:  # not a socket
            os.close(duplicate)
            continue
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM:
            yield sock
        else:
            sock.close()


def nodelay_on_server_sockets(port: int) -> int:
    """Set TCP_NODELAY on this process's TCP sockets whose local port is `port`: the listening
    socket (whose option Linux copies to every connection it accepts from then on) and the
    connections it has already accepted. Returns how many sockets it set."""
    changed = 0
    for sock in _tcp_sockets():
        with sock:
            try:
                if sock.getsockname()[1] != port:
                    continue
                if not sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    changed += 1
            except OSError:  # closed or reset meanwhile: nothing to tune
                continue
    return changed


def tune_running_server() -> int | None:
    """Once per process, inside a running Streamlit server: TCP_NODELAY on its listening socket
    and accepted connections. The number of sockets set, or None if already done or not in a
    server."""
    global _tuned_port
    from streamlit import config
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return None
    port = int(config.get_option("server.port"))
    with _lock:
        if _tuned_port == port:
            return None
        _tuned_port = port
        changed = nodelay_on_server_sockets(port)
    log.info("TCP_NODELAY set on %d socket(s) of the server on port %d.", changed, port)
    return changed


# A thread that waits for the GIL gets it after at most this long (Python's default: 5 ms). While
# the page's script thread draws or saves, the event loop needs the GIL for each step of a
# websocket send and the gateway thread for each step of a request: every such step waited up to
# 5 ms behind pure-Python work on another thread. (Streamlit's own 5 ms pause between rounds of
# websocket messages stays: without it a long conversation's ~1,500 messages went out one frame
# each, and its first paint took 2-2.9 s instead of 1.5 s.)
SWITCH_INTERVAL_S = 0.001


def quicker_handoffs() -> None:
    """Once per process: shorter GIL turns, so the event loop and the gateway thread are not
    held up behind the page's script thread."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)


# Imported by serve.py before the server starts, and by app.py: the first run of the page in a
# process started with `streamlit run` tunes its server (under serve.py the listening socket is
# already TCP, so there is nothing left to set).
quicker_handoffs()
if "streamlit.runtime" in sys.modules:
    tune_running_server()
