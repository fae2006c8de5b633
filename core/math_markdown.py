"""LaTeX in markdown, made ready for Streamlit's renderer (KaTeX behind `$...$` and `$$...$$`).

Models write math as `\\( \\)`, `\\[ \\]`, `$ $` and `$$ $$`; the renderer only knows the dollar
forms, and takes any two dollars on a line for math, so "it costs $5 and $10" would render "5 and "
as a formula. Here:
- `\\( x \\)` becomes `$x$` and `\\[ x \\]` becomes `$$x$$` (a display block when it has lines of
  its own);
- `$x$` stays math only as Pandoc reads it: the opening `$` has a non-space right after it, the
  next `$` has a non-space right before it and no digit right after it; `$$...$$` needs its
  closing `$$`;
- every other `$` is escaped, so a price is a price;
- nothing inside a code span or a code block changes.
"""

from __future__ import annotations

import re

from core.safe_markdown import code_block_lines

_BLANK = re.compile(r"\n[ \t]*\n")
_MARK = re.compile(r"[`\\$]")


def math_markdown(text: str) -> str:
    """`text` with its math in the renderer's dollar forms and every other `$` escaped."""
    if "$" not in text and "\\(" not in text and "\\[" not in text:
        return text
    lines = text.split("\n")
    code = code_block_lines(text)
    out: list[str] = []
    prose: list[str] = []
    for number, line in enumerate(lines):
        if number in code:
            if prose:
                out.append(_prose("\n".join(prose)))
                prose = []
            out.append(line)
        else:
            prose.append(line)
    if prose:
        out.append(_prose("\n".join(prose)))
    return "\n".join(out)


def _prose(text: str) -> str:
    # Math and code spans never run across a blank line: each paragraph is read on its own.
    parts = _BLANK.split(text)
    gaps = _BLANK.findall(text)
    result = [_paragraph(parts[0])]
    for gap, part in zip(gaps, parts[1:], strict=True):
        result.extend((gap, _paragraph(part)))
    return "".join(result)


def _paragraph(text: str) -> str:
    out: list[str] = []
    i = 0
    while True:
        found = _MARK.search(text, i)
        if found is None:
            out.append(text[i:])
            return "".join(out)
        at = found.start()
        out.append(text[i:at])
        if text[at] == "`":
            i = _code_span_end(text, at)
            out.append(text[at:i])
        elif text[at] == "\\":
            if text[at + 1 : at + 2] in ("(", "["):
                converted, i = _bracketed(text, at)
                out.append(converted)
            else:
                out.append(text[at : at + 2])
                i = at + 2
        else:
            converted, i = _dollars(text, at)
            out.append(converted)


def _code_span_end(text: str, start: int) -> int:
    """Past the code span opening at `start` (a run of backticks closed by a run of the same
    length), or past the run itself when nothing closes it."""
    run = start
    while run < len(text) and text[run] == "`":
        run += 1
    fence = text[start:run]
    search = run
    while True:
        found = text.find(fence, search)
        if found < 0:
            return run
        after = found + len(fence)
        if after < len(text) and text[after] == "`":
            search = after
            while search < len(text) and text[search] == "`":
                search += 1
            continue
        return after


def _bracketed(text: str, start: int) -> tuple[str, int]:
    """`\\( x \\)` or `\\[ x \\]` at `start` in the dollar form, or the escape as written."""
    display = text[start + 1] == "["
    closing = "\\]" if display else "\\)"
    end = text.find(closing, start + 2)
    if end < 0:
        return text[start : start + 2], start + 2
    body = text[start + 2 : end].strip()
    if not body:
        return text[start : end + 2], end + 2
    if display:
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end + 2)
        own_lines = (
            not text[line_start:start].strip()
            and not text[end + 2 : len(text) if line_end < 0 else line_end].strip()
        )
        if own_lines:
            return f"$$\n{body}\n$$", end + 2
        return f"$${body}$$", end + 2
    return f"${body}$", end + 2


def _dollars(text: str, start: int) -> tuple[str, int]:
    """Math from `start` as written, or the dollar escaped when it opens none."""
    if text.startswith("$$", start):
        end = text.find("$$", start + 2)
        if end > start + 2:
            return text[start : end + 2], end + 2
        return "\\$\\$", start + 2
    closing = _closing_dollar(text, start)
    if closing is None:
        return "\\$", start + 1
    return text[start : closing + 1], closing + 1


def _closing_dollar(text: str, start: int) -> int | None:
    """The `$` that closes the inline math opened at `start`, by Pandoc's rule, or None."""
    if start + 1 >= len(text) or text[start + 1].isspace():
        return None
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == "$":
            closes = not text[i - 1].isspace() and not (i + 1 < len(text) and text[i + 1].isdigit())
            return i if closes and i > start + 1 else None
        i += 1
    return None
