"""Shows a streaming answer with little work per chunk: finished markdown blocks are drawn once,
only the growing tail is redrawn, at most every MIN_FLUSH_S, and never the history."""

from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st

from components.markdown import safe
from core.markdown_blocks import BlockSplitter

MIN_FLUSH_S = 0.08  # at most ~12 redraws a second: smooth to read, few messages to send
MAX_FLUSH_S = 0.4  # however long the growing block, it moves at least this often
# A long growing block (a big code block, a long paragraph) is re-sent only once the new text is
# at least this share of it, so re-sending never costs more than the answer itself.
TAIL_RESEND_SHARE = 1.0
CURSOR = " ▌"


class StreamView:
    """Placeholders for the waiting/retry status, the growing answer and the Stop button."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._status = st.empty()
        self._root = st.empty()
        self._blocks = self._root.container()
        self._tail = self._blocks.empty()
        self._stop = st.empty()
        self._splitter = BlockSplitter()
        self._clock = clock
        self._last_flush = -MAX_FLUSH_S
        self._shown = ""
        self._finished = False
        self._status_shown = ""

    def show_text(self, text: str, *, force: bool = False) -> None:
        """Redraw the answer so far, batching chunks: finished blocks are sent once, the growing
        tail at most every MIN_FLUSH_S and less often while it is long."""
        now = self._clock()
        elapsed = now - self._last_flush
        if text == self._shown or (not force and elapsed < MIN_FLUSH_S):
            return
        finished = self._splitter.feed(text)
        tail = self._splitter.tail(text)
        new_chars = len(text) - len(self._shown)
        if not (force or finished or elapsed >= MAX_FLUSH_S or new_chars >= TAIL_RESEND_SHARE * len(tail)):
            return
        self._draw(text, finished, tail + CURSOR)
        self._last_flush = now

    def finish(self, text: str) -> None:
        """The answer is complete: show its last words now, without the cursor, and leave the
        drawn blocks in place (the final text is not sent a second time). Calling it again with
        the same text does nothing."""
        if self._finished and text == self._shown:
            return
        self._finished = True
        self._clear_status()
        self._stop.empty()
        if not text:
            self._root.empty()
            return
        finished = self._splitter.feed(text)
        self._draw(text, finished, self._splitter.tail(text))

    def _draw(self, text: str, finished: list[str], tail: str) -> None:
        first = not self._shown
        if finished:
            # Finished blocks go above the tail, in order, each drawn exactly once.
            self._tail.markdown(safe("".join(finished)))
            self._tail = self._blocks.empty()
        if tail.strip():
            self._tail.markdown(safe(tail))
        else:
            self._tail.empty()
        if first:
            self._clear_status()  # after the first words are on their way, not before
        self._shown = text

    def show_status(self, message: str) -> None:
        """A line above the answer: waiting for the first token, or a retry countdown (sent only
        when it changes)."""
        if message != self._status_shown:
            self._status.caption(message)
            self._status_shown = message

    def _clear_status(self) -> None:
        self._status.empty()
        self._status_shown = ""

    def show_stop(self, key: str) -> None:
        """A Stop button under the answer. Pressing it reruns the page, which ends this run: the
        stream driver then closes the HTTP stream and keeps the partial answer, marked stopped."""
        self._stop.button("Stop", key=key, icon=":material/stop_circle:", help="Stop this answer")
