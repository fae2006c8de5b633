"""What the app's own server sends with every response, what it answers only on this machine, and
how long it keeps a download. serve.py installs all three into Streamlit's server before it
starts (plain `streamlit run app.py` has none of them; the proxies in deploy/ add the same
headers in front of either).

- Every HTTP response says that no other site may frame the app (`X-Frame-Options: DENY` and CSP
  `frame-ancestors 'none'`: a hostile page could otherwise lay the chat under its own buttons and
  have people click Send or Delete) and that the browser must not guess a content type
  (`X-Content-Type-Options: nosniff`: a file served from /media stays the type it was sent as).
- `/_stcore/metrics` answers only a request made on this machine. Streamlit serves it to anyone
  and it counts, among other things, the stores each session keeps: with one session per signed-in
  person that tells a stranger who is active. A request that came through a proxy is refused.
- A download (an export's Markdown, JSON, HTML or CSV) leaves the server once. Streamlit keeps
  its bytes in memory at a `/media/<hash>` URL that answers anyone, until two later script runs
  have collected them. The app's download buttons make the bytes when clicked; then Streamlit's
  page checks the URL with a script's fetch() (it reads only the status) and downloads it with a
  navigation. The check gets the status and headers with no body; the download takes the bytes
  out of the store, so the URL answers 404 from then on.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, MutableMapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, cast

from core.request_origin import from_this_machine

if TYPE_CHECKING:
    from starlette.routing import BaseRoute
    from streamlit.runtime import Runtime
    from streamlit.runtime.memory_media_file_storage import MemoryFile, MemoryMediaFileStorage

log = logging.getLogger("gptproto.server_guard")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
)
# Replaced rather than repeated when Streamlit sets them itself (it sends nosniff with
# server.enableStaticServing files); a CSP of its own stays, and ours is enforced beside it.
_REPLACED = {b"x-frame-options", b"x-content-type-options"}

METRICS_REFUSED = (
    "Streamlit's metrics answer only requests made on this machine, not through a proxy: ask "
    "http://127.0.0.1:{port}/_stcore/metrics from the server itself.\n"
)


def with_security_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """A response's headers with the security headers set once each."""
    kept = [(name, value) for name, value in headers if name.lower() not in _REPLACED]
    return kept + list(SECURITY_HEADERS)


def _headers(scope: Scope) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}


def _from_this_machine(scope: Scope) -> bool:
    client = scope.get("client")
    headers = _headers(scope)
    return from_this_machine(client[0] if client else None, headers.get("host"), headers)


# Set for each HTTP request: True when it must not receive a download's bytes (see
# `wants_no_body`). The /media route runs in the request's own task, so it sees its request's value.
_no_download_body: ContextVar[bool] = ContextVar("no_download_body", default=False)


def wants_no_body(method: str, headers: dict[str, str]) -> bool:
    """A HEAD, or a page script's fetch(): browsers say `Sec-Fetch-Mode: navigate` for a download
    and `cors` (or `no-cors`, `same-origin`) for a fetch. A client that says nothing is served as
    a download."""
    mode = headers.get("sec-fetch-mode")
    return method == "HEAD" or (mode is not None and mode.lower() != "navigate")


class GuardedApp:
    """Streamlit's ASGI app behind the security headers and the metrics rule."""

    def __init__(self, app: ASGIApp, metrics_path: str) -> None:
        self.app = app
        self.metrics_path = metrics_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # the websocket and the server's lifespan pass as they are
            await self.app(scope, receive, send)
            return

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_security_headers(list(message.get("headers", [])))
            await send(message)

        if scope["path"].rstrip("/") == self.metrics_path and not _from_this_machine(scope):
            await _refuse(send_guarded, (scope.get("server") or ("", 8501))[1])
            return
        _no_download_body.set(wants_no_body(scope["method"], _headers(scope)))
        await self.app(scope, receive, send_guarded)


async def _refuse(send: Send, port: int) -> None:
    body = METRICS_REFUSED.format(port=port).encode()
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 403, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class OneShotDownloads:
    """Streamlit's in-memory media store as its /media route sees it: a downloadable file is
    taken out of the store by the request that downloads it, so its bytes are sent once; a
    request that only checks it (`wants_no_body`) gets it empty and leaves it. Images and other
    media stay, as the page may load them again."""

    def __init__(self, storage: MemoryMediaFileStorage) -> None:
        self._storage = storage

    def get_file(self, filename: str) -> MemoryFile:
        from streamlit.runtime.media_file_storage import MediaFileKind

        found = self._storage.get_file(filename)
        if found.kind != MediaFileKind.DOWNLOADABLE:
            return found
        if _no_download_body.get():
            return found._replace(content=b"")
        # Nothing awaits between the lookup and the removal: two downloads cannot both get it.
        self._storage.delete_file(os.path.splitext(filename)[0])
        return found


def metrics_path(base_url_path: str | None) -> str:
    """Where Streamlit serves its metrics under `server.baseUrlPath`."""
    base = (base_url_path or "").strip("/")
    return f"/{base}/_stcore/metrics" if base else "/_stcore/metrics"


def guard_streamlit_server() -> bool:
    """Before the server starts: wrap the app Streamlit builds in `GuardedApp` and its media route
    in `OneShotDownloads`; False (and a warning) if this Streamlit builds its server differently."""
    from streamlit import config

    try:
        from streamlit.web.server.starlette import starlette_app, starlette_server
    except ImportError:
        log.warning("Streamlit's Starlette server was not found; its responses are not guarded.")
        return False
    create_app = getattr(starlette_server, "create_starlette_app", None)
    media_routes = getattr(starlette_app, "create_media_routes", None)
    if create_app is None or media_routes is None:
        log.warning("Streamlit builds its server differently now; its responses are not guarded.")
        return False
    if getattr(create_app, "guarded", False):
        return True

    def create_guarded_app(runtime: Runtime) -> GuardedApp:
        return GuardedApp(create_app(runtime), metrics_path(config.get_option("server.baseUrlPath")))

    def one_shot_media_routes(media_storage: MemoryMediaFileStorage, base_url: str | None) -> list[BaseRoute]:
        # The route only ever calls get_file on the store it is given.
        return media_routes(cast("MemoryMediaFileStorage", OneShotDownloads(media_storage)), base_url)

    create_guarded_app.guarded = True  # type: ignore[attr-defined]
    # Streamlit passes what it builds to uvicorn, which needs only an ASGI callable.
    starlette_server.create_starlette_app = create_guarded_app  # type: ignore[assignment]
    starlette_app.create_media_routes = one_shot_media_routes
    return True
