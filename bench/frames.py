"""Counting what the page receives over the websocket: bytes and frames, what kind of Streamlit
message they carry, and when the browser's network layer received each one."""

from __future__ import annotations

import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import Page, WebSocket
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg


@dataclass
class FrameCounter:
    """Bytes of websocket frames the page receives while `counting` is on: their payloads as the
    page reads them, and what they took on the wire (`wire_bytes`)."""

    counting: bool = False
    total_bytes: int = 0
    frames: int = 0
    last_frame_at: float = 0.0
    sockets: list[WebSocket] = field(default_factory=list)
    payloads: list[bytes] = field(default_factory=list)
    # Every frame since the page opened, each with whether it was counted: a compressed stream's
    # size depends on everything sent before on its connection.
    history: list[tuple[bytes, bool]] = field(default_factory=list)
    extensions: list[str] = field(default_factory=list)  # Sec-WebSocket-Extensions, per handshake

    def attach(self, page: Page) -> None:
        page.on("websocket", self._on_socket)
        cdp = page.context.new_cdp_session(page)
        cdp.on("Network.webSocketHandshakeResponseReceived", self._on_handshake)
        cdp.send("Network.enable")

    def _on_handshake(self, event: dict[str, Any]) -> None:
        headers = {k.lower(): v for k, v in event["response"].get("headers", {}).items()}
        self.extensions.append(str(headers.get("sec-websocket-extensions", "")))

    def _on_socket(self, socket: WebSocket) -> None:
        self.sockets.append(socket)
        socket.on("framereceived", self._on_frame)

    def _on_frame(self, payload: bytes | str) -> None:
        self.last_frame_at = time.monotonic()
        raw = payload if isinstance(payload, bytes) else payload.encode()
        self.history.append((raw, self.counting))
        if self.counting:
            self.total_bytes += len(raw)
            self.frames += 1
            self.payloads.append(raw)

    def start(self) -> None:
        self.counting, self.total_bytes, self.frames = True, 0, 0
        self.payloads.clear()
        self.history = [(raw, False) for raw, _ in self.history]

    def snapshot(self) -> tuple[int, int]:
        return self.total_bytes, self.frames

    def wire_bytes(self) -> int:
        """What the counted frames took on the wire: each frame's header and its payload, as the
        server's permessage-deflate compressed it when the handshake agreed on it (replayed with
        the same zlib settings over every frame since the connection opened, since each message
        is compressed with what came before as its dictionary)."""
        deflate = deflate_settings(self.extensions[-1] if self.extensions else "")
        encoder = None if deflate is None else zlib.compressobj(wbits=-deflate, memLevel=DEFLATE_MEM_LEVEL)
        total = 0
        for raw, counted in self.history:
            size = len(raw)
            if encoder is not None:
                size = len(encoder.compress(raw) + encoder.flush(zlib.Z_SYNC_FLUSH)) - 4
            if counted:
                total += size + (2 if size < 126 else 4 if size < 65536 else 10)
        return total


# uvicorn's websockets implementations offer permessage-deflate with server_max_window_bits=12
# and zlib's memLevel 5 (uvicorn/protocols/websockets/websockets_sansio_impl.py); the window comes
# from the handshake, the memory level cannot and is taken from there.
DEFLATE_MEM_LEVEL = 5


def deflate_settings(extensions: str) -> int | None:
    """The server's window bits when the handshake's Sec-WebSocket-Extensions agreed on
    permessage-deflate with context takeover (the default); None when frames go uncompressed."""
    for offer in extensions.split(","):
        params = [part.strip() for part in offer.split(";")]
        if params[0] != "permessage-deflate":
            continue
        if "server_no_context_takeover" in params:
            raise ValueError("permessage-deflate without context takeover is not replayed")
        bits = [p.split("=", 1)[1] for p in params if p.startswith("server_max_window_bits=")]
        return int(bits[0]) if bits else 15
    return None


def breakdown(payloads: list[bytes]) -> dict[str, Any]:
    """Where the websocket bytes go: bytes per Streamlit message kind (`element:markdown`...),
    and how many of them are markdown text."""
    sizes: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    markdown_text = 0
    for raw in payloads:
        message = ForwardMsg()
        try:
            message.ParseFromString(raw)
        except Exception:  # not a ForwardMsg: count it as such
            sizes["unparsed"] += len(raw)
            counts["unparsed"] += 1
            continue
        kind: str = message.WhichOneof("type") or "empty"
        if kind == "delta":
            delta_kind = message.delta.WhichOneof("type")
            if delta_kind == "new_element":
                element = message.delta.new_element.WhichOneof("type")
                kind = f"element:{element}"
                if element == "markdown":
                    markdown_text += len(message.delta.new_element.markdown.body.encode())
            else:
                kind = f"delta:{delta_kind}"
        sizes[kind] += len(raw)
        counts[kind] += 1
    return {
        "bytes": dict(sizes.most_common()),
        "messages": dict(counts),
        "markdown_text_bytes": markdown_text,
    }


class DeliveryClock:
    """When the browser's network layer received each websocket frame of a page. CDP timestamps
    read the same monotonic clock as time.monotonic() on Linux, so what the server delivered can
    be told apart from what the page's renderer had drawn."""

    def __init__(self, page: Page) -> None:
        self.received: list[float] = []
        cdp = page.context.new_cdp_session(page)
        cdp.on("Network.webSocketFrameReceived", lambda event: self.received.append(event["timestamp"]))
        cdp.send("Network.enable")

    def last_before(self, moment: float) -> float | None:
        """The last frame received at or before `moment` (monotonic seconds)."""
        earlier = [t for t in self.received if t <= moment]
        return max(earlier) if earlier else None


class PageMeter:
    """What a page costs between two moments, read over CDP: the bytes of the answer's transport
    that are not websocket frames (a peer that streams over Server-Sent Events or fetch/XHR
    polling: those responses' encoded bytes as they arrive; not scripts, styles or fonts a fresh
    page loads on first use, which a browser caches) and the renderer's main-thread time
    (`TaskDuration`)."""

    DATA_TYPES = frozenset({"XHR", "Fetch", "EventSource", "Other"})

    def __init__(self, page: Page) -> None:
        self.http_bytes = 0
        self.asset_bytes = 0  # scripts, styles, fonts, images loaded meanwhile (for information)
        self.counting = False
        self._types: dict[str, str] = {}
        self._cdp = page.context.new_cdp_session(page)
        self._cdp.on("Network.requestWillBeSent", self._on_request)
        self._cdp.on("Network.dataReceived", self._on_data)
        self._cdp.send("Network.enable")
        self._cdp.send("Performance.enable")

    def _on_request(self, event: dict[str, Any]) -> None:
        self._types[event["requestId"]] = str(event.get("type") or "Other")

    def _on_data(self, event: dict[str, Any]) -> None:
        if self.counting:
            size = int(event.get("encodedDataLength") or 0)
            if self._types.get(event["requestId"], "Other") in self.DATA_TYPES:
                self.http_bytes += size
            else:
                self.asset_bytes += size

    def start(self) -> None:
        self.counting, self.http_bytes, self.asset_bytes = True, 0, 0

    def main_thread_s(self) -> float:
        """Seconds the page's main thread has spent in tasks so far."""
        metrics = self._cdp.send("Performance.getMetrics")["metrics"]
        return float(next(m["value"] for m in metrics if m["name"] == "TaskDuration"))
