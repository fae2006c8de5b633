"""Shows a streaming answer with little work per chunk: finished markdown blocks are drawn once,
only the growing tail is redrawn, at most every MIN_FLUSH_S and within a byte budget, and never
the history."""

from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components.plumbing.markdown import safe
from core.markdown_blocks import BlockSplitter
from core.safe_text import literal

MIN_FLUSH_S = 0.08  # at most ~12 redraws a second: smooth to read, few messages to send
MAX_FLUSH_S = 0.35  # however tight the budget, the growing tail moves at least this often
# Everything sent while an answer streams (its blocks once, the re-sent growing tail, and what
# each message costs beyond its text) is kept within this multiple of the answer's size so far,
# plus a small allowance so the first lines flow: a redraw of the tail waits until it fits, or
# until MAX_FLUSH_S has passed. The first words and each finished block always go at once.
DRAW_BUDGET = 1.25
DRAW_ALLOWANCE = 1024
MESSAGE_OVERHEAD = 96  # bytes of a markdown message beyond its text: its hash, path, script hash
CURSOR = " ▌"


class StreamView:
    """Placeholders for the waiting/retry status, the growing answer and the Stop button."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._status = st.empty()
        self._root = st.empty()
        self._blocks = self._root.container()
        self._tail: DeltaGenerator | None = None  # the growing block's element, once drawn
        self._stop = st.empty()
        self._splitter = BlockSplitter()
        self._clock = clock
        self._last_flush = -MIN_FLUSH_S
        self._shown = ""
        self._received = 0  # characters of text seen so far
        self._spent = 0  # bytes sent for the answer so far, with each message's overhead
        self._finished = False
        self._status_shown = ""

    def show_text(self, text: str, *, force: bool = False) -> None:
        """Redraw the answer so far, batching chunks: finished blocks are sent once, the growing
        tail at most every MIN_FLUSH_S, and more often than every MAX_FLUSH_S only while the
        budget allows."""
        now = self._clock()
        if text == self._shown or (not force and now - self._last_flush < MIN_FLUSH_S):
            return
        arrived, self._received = len(text) - self._received, len(text)
        if not (self._shown or force or arrived > 1 or _whole_word(text)):
            return  # one character a chunk: the first draw waits for the first whole word
        blocks = self._splitter.feed(text)
        tail = self._splitter.tail(text) + CURSOR
        budget = DRAW_BUDGET * len(text.encode()) + DRAW_ALLOWANCE
        affordable = self._spent + sum(map(_cost, blocks)) + _cost(tail) <= budget
        if force or not self._shown or affordable or now - self._last_flush >= MAX_FLUSH_S:
            self._draw(text, blocks, tail)
        elif blocks:
            self._draw(text, blocks, None)  # the blocks now; the new tail when it fits
        else:
            return
        self._last_flush = now

    def finish(self, text: str) -> None:
        """The answer is complete: show its last words now, without the cursor, and leave the
        drawn blocks in place (the final text is not sent a second time); then the waiting line
        and the Stop button go. Calling it again with the same text does nothing."""
        if self._finished and text == self._shown:
            return
        self._finished = True
        if text:
            self._draw(text, self._splitter.feed(text), self._splitter.tail(text))
        else:
            self._root.empty()
        self._clear_status()
        self._stop.empty()

    def _draw(self, text: str, blocks: list[str], tail: str | None) -> None:
        first = not self._shown
        for block in blocks:
            # Finished blocks go above the tail, in order, each drawn exactly once and each in an
            # element of its own (the first takes the tail's): the elements a stored answer is
            # drawn with later (components.message), so the browser's copies serve for those.
            body = safe(block)
            (self._tail or self._blocks).markdown(body)
            self._spent += _cost(body)
            self._tail = None
        if tail is not None and tail.strip():
            body = safe(tail)
            if self._tail is None:
                self._tail = self._blocks.markdown(body)
            else:
                self._tail.markdown(body)
            self._spent += _cost(body)
        if first:
            self._clear_status()  # after the first words are on their way, not before
        self._shown = text

    def show_status(self, message: str) -> None:
        """A line above the answer: waiting for the first token, or a retry countdown (sent only
        when it changes)."""
        if message != self._status_shown:
            self._status.caption(literal(message))  # it names the model
            self._status_shown = message

    def _clear_status(self) -> None:
        self._status.empty()
        self._status_shown = ""

    def show_stop(self, key: str) -> None:
        """A Stop button under the answer. Pressing it reruns the page, which ends this run: the
        stream driver then closes the HTTP stream and keeps the partial answer, marked stopped."""
        self._stop.button("Stop", key=key, icon=":material/stop_circle:", help="Stop this answer")


def _whole_word(text: str) -> bool:
    """True once the text has a word followed by a space or a line break."""
    return any(char.isspace() for char in text.lstrip())


def _cost(body: str) -> int:
    """What sending this markdown body costs as one message (nothing when there is none)."""
    return len(body.encode()) + MESSAGE_OVERHEAD if body else 0
