"""Text that someone other than the app wrote (a title, a name, a key an import named, a provider's
error), made safe to show: on its own line of the page, and inside the app's own markdown.

Streamlit renders almost every string it is given as markdown (`st.error`, `st.caption`, a
progress bar's text, a dialog's title, a button's label, an image's caption), and markdown can
load a remote image with no click. `SafeMarkdown` is the type of a string that went through a
guard: `literal` here (shown as the very characters), `code_span`, or `safe_markdown` (a model's
answer, kept as markdown). tests/layers/ checks that every Streamlit call that renders markdown
is given either the app's own literal text or a `SafeMarkdown`.
"""

from __future__ import annotations

import re
from typing import NewType

SafeMarkdown = NewType("SafeMarkdown", str)

# Bidirectional overrides, embeddings, isolates and marks: U+202E alone turns "gpj.exe" into a
# title that reads "exe.jpg", and an unclosed one reorders the app's text that follows it.
_BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# Line and paragraph breaks of every kind: a name is one line.
_BREAKS = "\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029"
_CONTROLS = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]  # C0, DEL and C1: ESC, BEL, CSI...
_PRINTABLE = str.maketrans(
    {code: None for code in _CONTROLS}
    | {ord(char): None for char in _BIDI_CONTROLS}
    | dict.fromkeys(map(ord, _BREAKS), " ")
)
MARKDOWN_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
_EVERY_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")
# What can start markup anywhere in a line: links and images need a bracket, code a backtick,
# HTML and autolinks an angle bracket, math a dollar; emphasis, tables, entities and a trailing
# backslash would reshape the text around. An underscore between two letters or digits never
# starts emphasis (max_completion_tokens). The rest of the punctuation (. , ( ) : ' " @ ...)
# means nothing inside a line and stays as it is, so messages read the same in tests and logs.
_INLINE_MARKUP = re.compile(r"[\\`*~\[\]<>!$|#&]|(?<![^\W_])_|_(?![^\W_])")
_BLOCK_START = re.compile(r"[-+>]|[0-9]{1,9}[.)]")  # a list item or a quote


def printable(text: str) -> str:
    """`text` without bidi controls or control characters (ESC, BEL...): breaks and tabs become
    spaces, everything else is kept. Names and titles are cleaned with this where they are
    stored and again where they are shown."""
    return text.translate(_PRINTABLE)


def one_line(text: str) -> str:
    """`text` printable, on one line, its runs of whitespace as single spaces: a stored title or name."""
    return " ".join(printable(text).split())


def escape_markdown(text: str, markup: re.Pattern[str] = _EVERY_PUNCTUATION) -> str:
    """Plain text that renders as itself: whitespace collapsed, each match of `markup` (by default
    every ASCII punctuation) escaped, and, so that no block can start, the first character when
    it would start a list or a quote."""
    escaped = markup.sub(lambda found: "\\" + found.group(0), " ".join(text.split()))
    start = _BLOCK_START.match(escaped)
    if start:
        escaped = escaped[: start.end() - 1] + "\\" + escaped[start.end() - 1 :]
    return escaped


def literal(text: object) -> SafeMarkdown:
    """`text` (or the str() of anything) shown as exactly its printable characters wherever it
    is put into the app's markdown: no markdown in it takes effect, not even across the text
    around it, so it can sit inside `**...**` or a `:gray[...]`."""
    return SafeMarkdown(escape_markdown(printable(str(text)), _INLINE_MARKUP))


def code_span(text: object) -> SafeMarkdown:
    """`text` as inline code (an id, a model name): nothing inside a code span is markdown."""
    shown = " ".join(printable(str(text)).split())
    fence = "`"
    while fence in shown:
        fence += "`"
    padding = " " if shown.startswith("`") or shown.endswith("`") else ""
    return SafeMarkdown(f"{fence}{padding}{shown}{padding}{fence}" if shown else "")
