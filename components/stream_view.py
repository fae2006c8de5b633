"""Shows a streaming answer with little work per chunk: finished markdown blocks are drawn once,
only the growing tail is redrawn, at most every FLUSH_INTERVAL_S, and never the history."""

from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st

from core.markdown_blocks import BlockSplitter

FLUSH_INTERVAL_S = 0.05
CURSOR = " ▌"


class StreamView:
    """Placeholders for the waiting/retry status and for the growing answer."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._status = st.empty()
        self._root = st.empty()
        self._blocks = self._root.container()
        self._tail = self._blocks.empty()
        self._stop = st.empty()
        self._splitter = BlockSplitter()
        self._clock = clock
        self._last_flush = 0.0
        self._shown = ""

    def show_text(self, text: str, *, force: bool = False) -> None:
        """Redraw the answer so far if enough time passed since the last redraw."""
        now = self._clock()
        if text == self._shown or (not force and now - self._last_flush < FLUSH_INTERVAL_S):
            return
        if not self._shown:
            self._status.empty()
        finished = self._splitter.feed(text)
        if finished:
            # Finished blocks go above the tail, in order, each drawn exactly once.
            self._tail.markdown("".join(finished))
            self._tail = self._blocks.empty()
        self._tail.markdown(self._splitter.tail(text) + CURSOR)
        self._shown = text
        self._last_flush = now

    def show_status(self, message: str) -> None:
        """A line above the answer: waiting for the first token, or a retry countdown."""
        self._status.caption(message)

    def show_stop(self, key: str) -> None:
        """A Stop button under the answer. Pressing it reruns the page, which ends this run: the
        turn runner then closes the HTTP stream and keeps the partial answer, marked stopped."""
        self._stop.button("Stop", key=key, icon=":material/stop_circle:", help="Stop this answer")

    def clear(self) -> None:
        """Remove the streaming placeholders before the final render."""
        self._status.empty()
        self._root.empty()
        self._stop.empty()
