"""A Streamlit client at the protocol level: it speaks to `/_stcore/stream` with the protobuf
messages Streamlit ships (`streamlit.proto`), as the browser's frontend does, without a browser.

One `ChatClient` is one browser tab on the chat page. `open()` fetches the page (keeping its
cookies, so a proxy's sticky cookie applies), opens the websocket and runs the page once, which
finds the chat input's widget id; `ask(prompt)` submits the prompt as the chat input's value and
reads forward messages until the run that answers it has finished, rebuilding the answer's text
from the markdown drawn in the assistant's bubble.

The frontend's behaviour it follows (Streamlit 1.67): the websocket's subprotocols are
`streamlit` and the XSRF cookie's value; every run is a `BackMsg.rerun_script` carrying the query
string, the page's script hash, the widget states and the hashes of the cacheable messages it
keeps; a `ForwardMsg.ref_hash` stands for a message it kept; and the page is what the last run
drew (a run re-sends everything it shows, so the run's own deltas are the page). Only the chat
input's state is sent: every other widget of a fresh tab has its default value, which the server
assumes for a widget that is not named. Plain blocking sockets (`websocket-client`): under
gevent's monkey-patching, as in Locust, each client is a greenlet.
"""

from __future__ import annotations

import http.cookiejar
import time
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import websocket
from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.Markdown_pb2 import Markdown

CHAT_INPUT_KEY = "chat.input"  # pages/chat.py's chat input
CURSOR = "▌"  # components/stream_view.py draws it after a growing answer
Path = tuple[int, ...]


class ProtocolError(Exception):
    """The server said or did something a browser would show as a failure."""


def frame_bytes(payload: int) -> int:
    """Bytes of a server-to-client websocket frame carrying `payload` bytes (unmasked header)."""
    header = 2 if payload < 126 else 4 if payload < 65536 else 10
    return header + payload


@dataclass
class Answer:
    """What one submitted prompt produced, with monotonic times (seconds)."""

    prompt: str
    submitted_at: float
    text: str = ""
    first_text_at: float | None = None
    final_text_at: float | None = None
    finished_at: float | None = None
    bytes: int = 0  # websocket bytes received from the submit to the end of the run
    frames: int = 0
    error: str | None = None

    @property
    def duration(self) -> float | None:
        """Seconds from the submit to the final text on the page (None if it never came)."""
        return None if self.final_text_at is None else self.final_text_at - self.submitted_at


@dataclass
class _Run:
    """The page as the current run draws it: each element and block by its delta path."""

    prompt: str | None = None
    markdown: dict[Path, tuple[int, str]] = field(default_factory=dict)  # path: (type, body)
    bubbles: dict[Path, str] = field(default_factory=dict)  # chat message blocks: path: name
    prompt_bubble: Path | None = None  # the last user bubble showing the prompt
    assistant: Path | None = None  # the assistant bubble after it: the answer
    errors: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)  # what a page that is not the chat says

    def inside(self, path: Path, block: Path | None) -> bool:
        return block is not None and len(path) > len(block) and path[: len(block)] == block

    def answer_text(self) -> str:
        """The assistant bubble's answer: the markdown inside its containers, in page order (the
        app draws finished blocks once and the growing tail after them; a caption or a status
        line directly in the bubble is not the answer)."""
        if self.assistant is None:
            return ""
        depth = len(self.assistant) + 2
        parts = [
            body.removesuffix(CURSOR).rstrip()
            for path, (kind, body) in sorted(self.markdown.items())
            if self.inside(path, self.assistant) and len(path) == depth and kind == Markdown.NATIVE
        ]
        return "\n\n".join(part for part in parts if part)


class ChatClient:
    """One tab on the chat page, at the protocol level. Not thread-safe: one greenlet each."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | Sequence[tuple[str, str]] = (),
        timeout: float = 60.0,
        input_key: str = CHAT_INPUT_KEY,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Pairs, so that the websocket can carry a header twice, as a client can send it.
        self.header_pairs = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
        self.headers = dict(self.header_pairs)
        self.timeout = timeout
        self.input_key = input_key
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self._ws: websocket.WebSocket | None = None
        self.chat_input_id: str | None = None
        self.page_script_hash = ""
        self.query_string = ""
        self.session_id = ""
        self.page_headers: dict[str, str] = {}  # the page's response headers (a proxy's among them)
        self._cache: dict[str, ForwardMsg] = {}  # the frontend's ForwardMsg cache, by hash
        self.bytes_received = 0
        self.frames_received = 0
        self.open_bytes = 0
        self.open_seconds: float | None = None

    # -- connection ----------------------------------------------------------------------

    def open(self) -> ChatClient:
        """Load the page as a browser does (the HTML, then the websocket and the first run);
        raises ProtocolError or OSError if it fails."""
        started = time.monotonic()
        request = urllib.request.Request(self.base_url + "/", headers=self.headers)
        with self._opener.open(request, timeout=self.timeout) as response:
            response.read()
            self.page_headers = {name.lower(): value for name, value in response.headers.items()}
        parsed = urllib.parse.urlsplit(self.base_url)
        ws_url = urllib.parse.urlunsplit(
            (
                "wss" if parsed.scheme == "https" else "ws",
                parsed.netloc,
                parsed.path + "/_stcore/stream",
                "",
                "",
            )
        )
        xsrf = next((c.value for c in self.cookies if c.name == "_streamlit_xsrf"), None)
        cookie = "; ".join(f"{c.name}={c.value}" for c in self.cookies)
        self._ws = websocket.create_connection(
            ws_url,
            timeout=self.timeout,
            subprotocols=["streamlit", xsrf] if xsrf else ["streamlit"],
            origin=f"{parsed.scheme}://{parsed.netloc}",
            cookie=cookie or None,
            header=[f"{name}: {value}" for name, value in self.header_pairs],
            enable_multithread=False,
        )
        before = self.bytes_received
        self._rerun()
        run = self._run(deadline=time.monotonic() + self.timeout)
        if run.errors:
            raise ProtocolError("; ".join(run.errors))
        if self.chat_input_id is None:
            shows = f"; it shows {' / '.join(run.headings)}" if run.headings else ""
            raise ProtocolError(f"the page drew no chat input keyed {self.input_key!r}{shows}")
        self.open_bytes = self.bytes_received - before
        self.open_seconds = time.monotonic() - started
        return self

    def close(self) -> None:
        """Close the websocket (as closing the tab does)."""
        if self._ws is not None:
            ws, self._ws = self._ws, None
            try:
                ws.close(timeout=1)
            except (OSError, websocket.WebSocketException):
                ws.shutdown()

    def __enter__(self) -> ChatClient:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- asking --------------------------------------------------------------------------

    def ask(self, prompt: str, final_line: str | None = None, timeout: float | None = None) -> Answer:
        """Submit `prompt` in the chat input and read until the run that answers it finishes.

        `final_line` is the answer's last line: the moment a markdown element in the assistant's
        bubble ends with it (no cursor) is the answer's `final_text_at`; without it, the end of
        the run is. Failures are reported in `Answer.error`, never raised."""
        if self._ws is None or self.chat_input_id is None:
            raise ProtocolError("open() the page before asking")
        answer = Answer(prompt, time.monotonic())
        before = (self.bytes_received, self.frames_received)
        try:
            sent = self._rerun(prompt)
            answer.submitted_at = sent
            run = self._run(deadline=sent + (timeout or self.timeout), answer=answer, final_line=final_line)
            answer.text = run.answer_text()
            if run.errors:
                answer.error = "; ".join(run.errors)
            elif final_line is None:
                answer.final_text_at = answer.finished_at
            elif answer.final_text_at is None:
                answer.error = "the run ended without the answer's last line"
        except (OSError, websocket.WebSocketException, ProtocolError) as failure:
            answer.error = f"{type(failure).__name__}: {failure}"
        answer.bytes = self.bytes_received - before[0]
        answer.frames = self.frames_received - before[1]
        return answer

    # -- the wire --------------------------------------------------------------------------

    def _rerun(self, prompt: str | None = None) -> float:
        """Send a rerun_script BackMsg, with the prompt as the chat input's value; when it left."""
        assert self._ws is not None
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query_string
        state.page_script_hash = self.page_script_hash
        state.widget_states.SetInParent()
        if prompt is not None:
            assert self.chat_input_id is not None
            widget = state.widget_states.widgets.add()
            widget.id = self.chat_input_id
            widget.chat_input_value.data = prompt
            widget.chat_input_value.file_uploader_state.SetInParent()
        state.cached_message_hashes.extend(self._cache)
        info = state.context_info
        info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
        info.url = f"{self.base_url}/" + (f"?{self.query_string}" if self.query_string else "")
        info.is_embedded, info.color_scheme = False, "light"
        self._ws.send_binary(message.SerializeToString())
        return time.monotonic()

    def _receive(self, deadline: float) -> ForwardMsg:
        assert self._ws is not None
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ProtocolError("timed out waiting for the server")
        self._ws.settimeout(remaining)
        try:
            opcode, data = self._ws.recv_data()
        except websocket.WebSocketTimeoutException:
            raise ProtocolError("timed out waiting for the server") from None
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            raise ProtocolError("the server closed the websocket")
        self.bytes_received += frame_bytes(len(data))
        self.frames_received += 1
        message = ForwardMsg()
        message.ParseFromString(data)
        if message.WhichOneof("type") == "ref_hash":
            cached = self._cache.get(message.ref_hash)
            if cached is None:
                raise ProtocolError(f"a reference to message {message.ref_hash} this client never kept")
            resolved = ForwardMsg()
            resolved.CopyFrom(cached)
            resolved.metadata.CopyFrom(message.metadata)
            return resolved
        if message.metadata.cacheable and message.hash:
            self._cache[message.hash] = message
        return message

    def _run(self, deadline: float, answer: Answer | None = None, final_line: str | None = None) -> _Run:
        """Read forward messages until the run started by the last rerun finishes."""
        prompt = None if answer is None else answer.prompt.strip()
        run = _Run(prompt=prompt)
        while True:
            message = self._receive(deadline)
            kind = message.WhichOneof("type")
            if kind == "new_session":
                self.session_id = message.new_session.initialize.session_id or self.session_id
                if message.new_session.page_script_hash:
                    self.page_script_hash = message.new_session.page_script_hash
                run = _Run(prompt=prompt)  # a run starts: the page is what it draws from here on
            elif kind == "navigation":
                self.page_script_hash = message.navigation.page_script_hash
            elif kind == "page_info_changed":
                self.query_string = message.page_info_changed.query_string
            elif kind == "page_not_found":
                run.errors.append(f"page not found: {message.page_not_found.page_name!r}")
            elif kind == "delta":
                self._apply(run, message, answer, final_line)
            elif kind == "script_finished":
                status = message.script_finished
                if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # the run was replaced by a newer one, which follows
                if status == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    run.errors.append("the script failed to compile")
                if answer is not None:
                    answer.finished_at = time.monotonic()
                return run

    def _apply(self, run: _Run, message: ForwardMsg, answer: Answer | None, final_line: str | None) -> None:
        path: Path = tuple(message.metadata.delta_path)
        delta = message.delta
        kind = delta.WhichOneof("type")
        if kind == "add_block":
            for known in [p for p in run.markdown if p[: len(path)] == path]:
                del run.markdown[known]  # a block drawn anew holds nothing yet
            if delta.add_block.WhichOneof("type") == "chat_message":
                run.bubbles[path] = delta.add_block.chat_message.name
                after_prompt = run.prompt_bubble is not None and path > run.prompt_bubble
                if run.bubbles[path] in ("assistant", "ai") and after_prompt and run.assistant is None:
                    run.assistant = path
            return
        if kind != "new_element":
            return
        element = delta.new_element
        element_kind = element.WhichOneof("type")
        run.markdown.pop(path, None)
        if element_kind == "chat_input":
            if element.chat_input.id.endswith(f"-{self.input_key}"):
                self.chat_input_id = element.chat_input.id
        elif element_kind == "markdown":
            body = element.markdown.body
            run.markdown[path] = (element.markdown.element_type, body)
            bubble = path[:-1]
            if run.prompt is not None and run.bubbles.get(bubble) in ("user", "human") and body == run.prompt:
                # The prompt's own bubble (the last one, should history hold the same prompt):
                # the answer is the assistant bubble drawn after it.
                run.prompt_bubble, run.assistant = bubble, None
                if answer is not None:
                    answer.first_text_at = answer.final_text_at = None
            if answer is not None and run.inside(path, run.assistant):
                if answer.first_text_at is None and element.markdown.element_type == Markdown.NATIVE:
                    answer.first_text_at = time.monotonic()
                if (
                    final_line is not None
                    and answer.final_text_at is None
                    and body.rstrip().endswith(final_line)
                ):
                    answer.final_text_at = time.monotonic()
        elif element_kind == "heading":
            run.headings.append(element.heading.body)
        elif element_kind == "exception":
            run.errors.append(f"exception on the page: {element.exception.type}: {element.exception.message}")
        elif element_kind == "alert" and element.alert.format == Alert.ERROR:
            run.errors.append(f"error on the page: {element.alert.body}")
