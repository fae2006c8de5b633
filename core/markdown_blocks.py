"""Find where a growing markdown text has finished blocks, so they are drawn once and only the
growing tail is redrawn while an answer streams."""

from __future__ import annotations

import re

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


class BlockSplitter:
    """Feeds on the whole text so far; returns the newly finished blocks. Work per call is
    proportional to the new text only, never to the answer's length."""

    def __init__(self) -> None:
        self.committed = 0  # text[:committed] is already emitted as finished blocks
        self._scanned = 0  # lines before this index are scanned
        self._fence: str | None = None  # the open code fence marker, if any
        self._blank_at: int | None = None  # end of the last blank line outside a fence

    def feed(self, text: str) -> list[str]:
        """Newly finished blocks of text (each ends before the next block starts)."""
        finished: list[str] = []
        while True:
            newline = text.find("\n", self._scanned)
            if newline < 0:
                break
            line = text[self._scanned : newline]
            line_start, self._scanned = self._scanned, newline + 1
            boundary = self._scan(line, line_start)
            if boundary is not None and boundary > self.committed:
                finished.append(text[self.committed : boundary])
                self.committed = boundary
        # A block has started as soon as the first character after a blank line arrives.
        starts_block = self._blank_at is not None and text[self._scanned : self._scanned + 1] not in (
            "",
            " ",
            "\t",
        )
        if starts_block and self._fence is None and self._scanned > self.committed:
            finished.append(text[self.committed : self._scanned])
            self.committed = self._scanned
        return finished

    def tail(self, text: str) -> str:
        """The unfinished end of the text."""
        return text[self.committed :]

    def _scan(self, line: str, line_start: int) -> int | None:
        fence = _FENCE.match(line)
        if self._fence is not None:
            if fence and fence.group(1)[0] == self._fence[0] and len(fence.group(1)) >= len(self._fence):
                self._fence = None
            return None
        if fence:
            self._fence = fence.group(1)
            return self._block_start(line_start)
        if not line.strip():
            self._blank_at = line_start + len(line) + 1
            return None
        return self._block_start(line_start, indented=line[:1] in (" ", "\t"))

    def _block_start(self, line_start: int, indented: bool = False) -> int | None:
        # A new block starts after a blank line; an indented line continues the previous block
        # (a list item's paragraph or an indented code block), so it is not a boundary.
        blank_at, self._blank_at = self._blank_at, None
        if blank_at is None or indented:
            return None
        return line_start


def split_blocks(text: str) -> list[str]:
    """The whole text cut where a splitter fed it piece by piece would cut it: its finished
    blocks, then the tail. Drawing a stored answer this way gives the same elements as its
    stream left on screen, which the browser already holds."""
    splitter = BlockSplitter()
    blocks = splitter.feed(text)
    tail = splitter.tail(text)
    return [*blocks, tail] if tail else blocks
