"""Start GPTProto Chat: `python serve.py [streamlit run options]` is `streamlit run app.py [...]`
with two changes to Streamlit's server.

Streamlit's Starlette server binds its listening socket itself, with protocol number 0. asyncio
turns Nagle's algorithm off (TCP_NODELAY) only on connections whose socket says IPPROTO_TCP, so
every connection the app accepts keeps Nagle on. A response written in two parts (headers, then a
small body) then waits for the browser's delayed ACK: about 40 ms for each of the ~90 scripts a
fresh page loads over six connections, and for a websocket message sent right after another.
Re-declaring the listening socket as TCP makes every accepted connection TCP_NODELAY.

Headless, Streamlit also asks checkip.amazonaws.com for the machine's public address, to print it
and to accept browsers that use it. A team's chat server does not call out to a third party: that
lookup answers None, so set `browser.serverAddress` (or `server.corsAllowedOrigins`) to the
address people open, as Streamlit advises for when the lookup fails.
"""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Callable
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"

log = logging.getLogger("gptproto.serve")


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
    """Wrap Streamlit's socket binding with `as_tcp`; False (and a warning) if this Streamlit
    version binds differently, in which case the app runs as it would under `streamlit run`."""
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


def skip_external_ip_lookup() -> None:
    """Make Streamlit's public-address lookup answer None without sending anything."""
    from streamlit import net_util

    def no_external_ip() -> None:
        return None

    net_util.get_external_ip = no_external_ip


def main(argv: list[str] | None = None) -> None:
    """`streamlit run app.py` with the given options, on TCP_NODELAY connections and with no
    call to a third party."""
    from streamlit.web import cli

    use_tcp_nodelay()
    skip_external_ip_lookup()
    options = sys.argv[1:] if argv is None else argv
    sys.argv = ["streamlit", "run", str(APP), *options]
    cli.main()


if __name__ == "__main__":
    main()
