"""Start GPTProto Chat: `python serve.py [streamlit run options]` is `streamlit run app.py [...]`
with three changes to Streamlit's server.

Its connections get TCP_NODELAY from the first one (see server_tuning.py: without it, each script
of a fresh page and each back-to-back websocket message can wait ~40 ms for the browser's delayed
ACK). app.py imports server_tuning too, which fixes a server started with plain `streamlit run`
once the page first runs; serve.py does it before the server binds, so nothing waits even before.

Headless, Streamlit also asks checkip.amazonaws.com for the machine's public address, to print it
and to accept browsers that use it. A team's chat server does not call out to a third party: that
lookup answers None, so set `browser.serverAddress` (or `server.corsAllowedOrigins`) to the
address people open, as Streamlit advises for when the lookup fails.

Its responses are guarded (see server_guard.py): every one says that no other site may frame the
app and that the browser must not guess content types, /_stcore/metrics answers only requests
made on this machine, and a download's /media URL serves its file once.

`--require-sign-in` (taken by serve.py, not passed to Streamlit) is for replicas: it refuses to
start without a sign-in mode unless GPTPROTO_ALLOW_ANONYMOUS=true, which it logs (see
core/sign_in_required.py). The recipe in deploy/ and scripts/fleet.sh always pass it.

For operators, once Streamlit has read its configuration (server_ops.py): the log format, the
Prometheus endpoint on a port of its own, and SIGTERM as a drain (server_drain.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

from server_guard import guard_streamlit_server
from server_ops import operate_replica
from server_tuning import as_tcp, use_tcp_nodelay

APP = Path(__file__).resolve().parent / "app.py"
REQUIRE_SIGN_IN = "--require-sign-in"

__all__ = ["as_tcp", "guard_streamlit_server", "main", "skip_external_ip_lookup", "use_tcp_nodelay"]


def skip_external_ip_lookup() -> None:
    """Make Streamlit's public-address lookup answer None without sending anything."""
    from streamlit import net_util

    def no_external_ip() -> None:
        return None

    net_util.get_external_ip = no_external_ip


def main(argv: list[str] | None = None) -> None:
    """`streamlit run app.py` with the given options, on TCP_NODELAY connections, guarded, and
    with no call to a third party."""
    from streamlit.web import cli

    options = sys.argv[1:] if argv is None else argv
    if REQUIRE_SIGN_IN in options:
        from core.sign_in_required import enforce

        enforce(APP.parent)
        options = [option for option in options if option != REQUIRE_SIGN_IN]
    use_tcp_nodelay()
    guard_streamlit_server()
    skip_external_ip_lookup()
    operate_replica()
    sys.argv = ["streamlit", "run", str(APP), *options]
    cli.main()


if __name__ == "__main__":
    main()
