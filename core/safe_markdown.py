"""Markdown from a model, an import or a shared chat, made safe to render in a reader's browser.

A rendered `![](https://host/?d=secret)` makes the browser fetch that URL with no click, so a
prompt-injected answer could send data anywhere. `safe_markdown` turns every remote image that
is not on the allow-list into a link the reader can choose to open, keeps `data:image/...`
images, turns links to anything but http(s), mailto or a relative address into plain text, and
leaves code as written.

How it stays safe: a rewrite pass (below) handles the markdown it understands; then the result
is parsed with a CommonMark parser (markdown-it, the same specification as the browser's
renderer) and every image, link and `<img>` in it is checked. If anything slipped through
(markdown the rewrite read differently, e.g. a code span the renderer does not see), the rewrite
runs again treating less text as code, and as a last resort every punctuation mark is escaped.
So the output never shows a remote image, whatever the input, including any prefix of a
streaming answer.
"""

from __future__ import annotations

import bisect
import functools
import html
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.common.utils import normalizeReference
from markdown_it.token import Token

from core.safe_text import MARKDOWN_PUNCTUATION, SafeMarkdown, escape_markdown

SAFE_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
IMAGE_MARK = "🖼"

_PUNCT = MARKDOWN_PUNCTUATION
_ESCAPE_OR_ENTITY = re.compile(
    r"\\([!-/:-@\[-`{-~])|&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
)
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_DATA_IMAGE = re.compile(
    r"data:image/[a-z0-9.+\-]+(?:;[a-z0-9.+\-]+=?[a-z0-9.+\-]*)*,[A-Za-z0-9+/=%._~\-]*", re.I
)
_HTTP_URL = re.compile(r"https?://([A-Za-z0-9.\-]+)(?::[0-9]{1,5})?(?:[/?#][^\s\\<>\"'`]*)?", re.I)
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.\-]{1,31}):([^<>\x00-\x20]*)>")
_EMAIL_AUTOLINK = re.compile(
    r"<[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~\-]+@[a-zA-Z0-9](?:[a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?"
    r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?)*>"
)
_ATTRIBUTE = r"""\s+([A-Za-z_:][A-Za-z0-9_.:\-]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+))?"""
# An <img> as a browser reads it (up to the first > outside quotes), more leniently than CommonMark.
_IMG_TAG = re.compile(r"""<img(?=[\s/>])(?:"[^"]*"|'[^']*'|[^'">]){0,4000}>""", re.I)
_IMG_ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?""")
_IMG_START = re.compile(r"<img(?=[\s/>]|$)", re.I)
_OTHER_TAG = re.compile(
    rf"<(?!img[\s/>])[A-Za-z][A-Za-z0-9\-]*(?:{_ATTRIBUTE})*\s*/?>|</[A-Za-z][A-Za-z0-9\-]*\s*>", re.I
)
_KEPT_IMG_ATTRIBUTES = frozenset({"src", "alt", "title", "width", "height"})
_DEFINITION = re.compile(
    r"^((?:[ ]{0,3}(?:>|[-+*]|[0-9]{1,9}[.)])[ \t]*)*[ ]{0,3})\[((?:[^\\\[\]]|\\.){1,999})\]:"
    r"[ \t]*\n?(?:[ \t>]*)(<[^<>\n]*>|\S+)",
    re.M,
)
_SPECIAL = re.compile(r"[\\!\[<`]")
_SPECIAL_NO_CODE = re.compile(r"[\\!\[<]")
_BACKTICKS = re.compile(r"`+")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_MAX_PARENS = 32  # as markdown-it: deeper nesting in a link destination is no link
_BRACKET_SCAN = re.compile(r"[\\`\[\]\n]")
_MAX_NESTING = 16
_CACHE_MAX_CHARS = 200_000
_C0_AND_SPACE = "".join(chr(code) for code in range(0x21))


def safe_markdown(text: str, allowed_image_hosts: Iterable[str] = ()) -> SafeMarkdown:
    """`text` rewritten so that rendering it loads no remote image off the allow-list and
    links only to http(s), mailto or relative addresses; code is left as written."""
    hosts = _normalized_hosts(allowed_image_hosts)
    if len(text) > _CACHE_MAX_CHARS:
        return SafeMarkdown(_safe_markdown(text, hosts)[0])
    return SafeMarkdown(_cached(text, hosts))


@functools.lru_cache(maxsize=512)
def _cached(text: str, hosts: frozenset[str]) -> str:
    # Pages redraw every message on each rerun: the same text is made safe once.
    return _safe_markdown(text, hosts)[0]


def _safe_markdown(text: str, hosts: frozenset[str]) -> tuple[str, int]:
    """The safe text and which pass produced it (0: the full rewrite; 3: everything escaped)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")
    if not any(marker in text for marker in ("![", "](", "]:", "<")):
        return text, 0  # no image, inline link, reference definition, autolink or HTML possible
    env: dict[str, object] = {}
    tokens = _BLOCKS.parse(text, env)
    references = cast("dict[str, dict[str, str]]", env.get("references", {}))
    definitions = {label: str(target.get("href", "")) for label, target in references.items()}
    code_lines = _code_lines(tokens)
    passes = ((True, True), (True, False), (False, False))
    for number, (skip_blocks, skip_spans) in enumerate(passes):
        rewriter = _Rewriter(hosts, definitions, skip_spans)
        candidate = rewriter.document(text, code_lines if skip_blocks else frozenset())
        if _is_safe(candidate, hosts):
            return candidate, number
    return _escape_all(text), len(passes)


def is_allowed_image_url(url: str, allowed_image_hosts: Iterable[str] = ()) -> bool:
    """True for a `data:image/...` URL or an http(s) URL whose host is on the allow-list; an
    entry `*.example.com` allows the subdomains of example.com."""
    return _allowed_image(url, _normalized_hosts(allowed_image_hosts))


def is_safe_link(url: str) -> bool:
    """True for a (decoded) link target that is http(s), mailto or relative, as a browser reads it."""
    scheme = _scheme(url)
    return scheme is None or scheme in SAFE_LINK_SCHEMES


# -- URLs ---------------------------------------------------------------------------------------


def _allowed_image(url: str, hosts: frozenset[str]) -> bool:
    if _DATA_IMAGE.fullmatch(url):
        return True
    match = _HTTP_URL.fullmatch(url)
    return match is not None and _host_allowed(match.group(1).lower().rstrip("."), hosts)


def _decode(raw: str) -> str:
    """Backslash escapes and character references, decoded in one pass as CommonMark does."""

    def one(match: re.Match[str]) -> str:
        return match.group(1) if match.group(1) is not None else html.unescape(match.group(0))

    return _ESCAPE_OR_ENTITY.sub(one, raw)


def _browser_form(url: str) -> str:
    # The URL parser drops leading/trailing C0 controls and spaces and every tab or newline.
    return re.sub(r"[\t\n\r]", "", url).strip(_C0_AND_SPACE)


def _scheme(url: str) -> str | None:
    match = _SCHEME.match(_browser_form(url))
    return match.group(1).lower() if match else None


def _is_remote(url: str) -> bool:
    form = _browser_form(url)
    return _scheme(form) in ("http", "https") or (
        _scheme(form) is None and len(form) >= 2 and form[0] in "/\\" and form[1] in "/\\"
    )


def _host_of(url: str) -> str:
    form = _browser_form(url).replace("\\", "/")
    if form.startswith("//"):
        form = "https:" + form
    try:
        return urlsplit(form).hostname or "unknown host"
    except ValueError:
        return "unknown host"


def _normalized_hosts(hosts: Iterable[str]) -> frozenset[str]:
    normalized = set()
    for entry in hosts:
        host = entry.strip().lower()
        if "://" in host:
            host = urlsplit(host).hostname or ""
        if host:
            normalized.add(host.rstrip("."))
    return frozenset(normalized)


def _host_allowed(host: str, hosts: frozenset[str]) -> bool:
    return host in hosts or any(
        entry.startswith("*.") and host.endswith(entry[1:]) and len(host) > len(entry) - 1 for entry in hosts
    )


def _link_destination(url: str) -> str:
    """`url` as an angle-bracket link destination that decodes back to exactly it."""
    out = []
    for char in url:
        if char == "&":
            out.append("&amp;")
        elif char in " <>\\" or ord(char) < 0x20 or char == "\x7f":
            out.append("".join(f"%{byte:02X}" for byte in char.encode("utf-8")))
        else:
            out.append(char)
    return "<" + "".join(out) + ">"


def _escape_all(text: str) -> str:
    """Every punctuation mark escaped; `<` as `&lt;`, which raw HTML blocks read as text too."""
    return "".join("&lt;" if char == "<" else "\\" + char if char in _PUNCT else char for char in text)


# -- The rewrite --------------------------------------------------------------------------------


@dataclass
class _Destination:
    url: str  # decoded
    end: int  # index after the closing parenthesis


class _Rewriter:
    def __init__(self, hosts: frozenset[str], definitions: dict[str, str], skip_spans: bool) -> None:
        self.hosts = hosts
        self.definitions = definitions
        self.skip_spans = skip_spans
        self.special = _SPECIAL if skip_spans else _SPECIAL_NO_CODE

    def document(self, text: str, code_lines: frozenset[int]) -> str:
        """Code lines untouched; every other run of lines rewritten."""
        out: list[str] = []
        run: list[str] = []
        for number, line in enumerate(_lines(text)):
            if number in code_lines:
                out.append(self._run(run))
                run = []
                out.append(line)
            else:
                run.append(line)
        out.append(self._run(run))
        return "".join(out)

    def _run(self, lines: list[str]) -> str:
        return self.inline(_neutralize_definitions("".join(lines)))

    def inline(self, text: str, depth: int = 0) -> str:
        """`text` rewritten; `depth` counts the link texts it sits in."""
        index = _Index(text, self.skip_spans)
        out: list[str] = []
        i = 0
        while True:
            match = self.special.search(text, i)
            if match is None:
                out.append(text[i:])
                return "".join(out)
            start = match.start()
            out.append(text[i:start])
            char = text[start]
            if char == "\\":
                i = start + (2 if start + 1 < len(text) and text[start + 1] in _PUNCT else 1)
                out.append(text[start:i])
            elif char == "`":
                i = index.code_span_end(start)
                out.append(text[start:i])
            elif char == "!":
                if text.startswith("[", start + 1):
                    piece, i = self._image(index, start, in_link=depth > 0)
                    _guard_bang(out, piece)
                    out.append(piece)
                else:
                    out.append("!")
                    i = start + 1
            elif char == "[":
                piece, i = self._link(index, start, depth)
                _guard_bang(out, piece)
                out.append(piece)
            else:
                piece, i = self._angle(index, start)
                _guard_bang(out, piece)
                out.append(piece)

    def _image(self, index: _Index, start: int, in_link: bool) -> tuple[str, int]:
        text = index.text
        label_end = index.label_end(start + 1)
        if label_end < 0:
            return "\\!", start + 1
        alt = text[start + 2 : label_end]
        destination = self._inline_destination(text, label_end + 1)
        if destination is not None:
            return self._image_form(alt, destination.url, in_link), destination.end
        reference = _reference_after(text, label_end + 1)
        if reference is None:  # shortcut: ![label]
            label, end = alt, label_end + 1
        elif not reference[0].strip():  # collapsed: ![label][]
            label, end = alt, reference[1]
        else:  # full: ![alt][label]
            label, end = reference
        url = self.definitions.get(normalizeReference(label))
        if url is None:
            return "\\!", start + 1  # renders as "!" and can never start an image
        return self._image_form(alt, url, in_link), end

    def _image_form(self, alt: str, url: str, in_link: bool) -> str:
        if _allowed_image(url, self.hosts):
            return f"![{escape_markdown(alt)}]({_link_destination(url)})"
        return _image_as_link(alt, url, as_text=in_link)  # a link inside a link would break both

    def _link(self, index: _Index, start: int, depth: int) -> tuple[str, int]:
        text = index.text
        label_end = index.label_end(start)
        if label_end < 0:
            return "[", start + 1
        destination = self._inline_destination(text, label_end + 1)
        if destination is None:
            return "[", start + 1  # a reference link or plain brackets: the text goes on as usual
        label = text[start + 1 : label_end]
        inner = self.inline(label, depth + 1) if depth < _MAX_NESTING else escape_markdown(label)
        if is_safe_link(destination.url):
            return f"[{inner}]{text[label_end + 1 : destination.end]}", destination.end
        # Brackets escaped: what followed them, the unsafe target included, reads as plain text.
        return f"\\[{inner}\\]", label_end + 1

    def _angle(self, index: _Index, start: int) -> tuple[str, int]:
        text = index.text
        autolink = _AUTOLINK.match(text, start)
        if autolink:
            if is_safe_link(f"{autolink.group(1)}:{autolink.group(2)}"):
                return autolink.group(0), autolink.end()
            return "\\<", start + 1
        email = _EMAIL_AUTOLINK.match(text, start)
        if email:
            return email.group(0), email.end()
        tag = _IMG_TAG.match(text, start) if start < index.last_closer else None
        if tag:
            return _img_tag_form(tag.group(0), self.hosts), tag.end()
        if _IMG_START.match(text, start):
            return "&lt;", start + 1  # an unfinished <img: text in markdown and in raw HTML alike
        other = _OTHER_TAG.match(text, start) if self.skip_spans else None
        if other:  # raw HTML outranks code spans: a backtick inside a tag opens none
            return other.group(0), other.end()
        return "<", start + 1

    def _inline_destination(self, text: str, start: int) -> _Destination | None:
        """The `(destination "title")` of an inline link at `start`, as CommonMark reads it."""
        if not text.startswith("(", start):
            return None
        i = _skip_whitespace(text, start + 1)
        if text.startswith("<", i):
            close = i + 1
            while close < len(text) and text[close] not in "<>\n":
                close += 2 if text[close] == "\\" else 1
            if close >= len(text) or text[close] != ">":
                return None
            raw, i = text[i + 1 : close], close + 1
        else:
            begin, parens = i, 0
            while i < len(text):
                char = text[i]
                if char == "\\" and i + 1 < len(text) and text[i + 1] in _PUNCT:
                    i += 2
                    continue
                if ord(char) <= 0x20 or char == "\x7f":
                    break
                if char == "(":
                    parens += 1
                    if parens > _MAX_PARENS:
                        return None
                elif char == ")":
                    if parens == 0:
                        break
                    parens -= 1
                i += 1
            if parens:
                return None
            raw = text[begin:i]
        after = _skip_whitespace(text, i)
        if after > i and after < len(text) and text[after] in "\"'(":
            title_end = _title_end(text, after)
            if title_end < 0:
                return None
            after = _skip_whitespace(text, title_end)
        if not text.startswith(")", after):
            return None
        return _Destination(_decode(raw), after + 1)


def _image_as_link(alt: str, url: str, as_text: bool = False) -> str:
    """A remote (or unusable) image as a link the reader can open, or as plain text."""
    label = escape_markdown(alt) or "image"
    if not url or not is_safe_link(url):
        return f"{IMAGE_MARK} {label} \\(image not loaded: unsafe address\\)"
    where = f": {escape_markdown(_host_of(url))}" if _is_remote(url) else ""
    text = f"{IMAGE_MARK} {label} \\(image not loaded{where}\\)"
    return text if as_text else f"[{text}]({_link_destination(url)})"


def _img_tag_form(tag: str, hosts: frozenset[str]) -> str:
    attributes = {
        name.lower(): html.unescape(value[1:-1] if value[:1] in "\"'" else value)
        for name, value in _IMG_ATTRIBUTE.findall(tag[4:-1])
    }
    src = attributes.get("src", "")
    if set(attributes) <= _KEPT_IMG_ATTRIBUTES and src and _allowed_image(src, hosts):
        return tag
    if not src and "srcset" in attributes:
        src = attributes["srcset"].strip().split(" ")[0].rstrip(",")
    return _image_as_link(attributes.get("alt", ""), src)


def _lines(text: str) -> list[str]:
    """Lines as CommonMark counts them (split at \\n only), each with its line ending."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def _guard_bang(out: list[str], piece: str) -> None:
    """A piece starting with `[` after a literal `!` would form an image: escape that `!`."""
    if not piece.startswith("["):
        return
    last = next((index for index in range(len(out) - 1, -1, -1) if out[index]), None)
    if last is None or not out[last].endswith("!"):
        return
    before = "".join(out[max(0, last - 3) : last]) + out[last][:-1]
    if (len(before) - len(before.rstrip("\\"))) % 2 == 0:
        out[last] = out[last][:-1] + "\\!"


class _Index:
    """Look-ups on one text that the rewrite makes many times, each in O(log n), so hostile
    input (thousands of `![` or backticks) costs linear time, not quadratic."""

    def __init__(self, text: str, skip_spans: bool) -> None:
        self.text = text
        self.skip_spans = skip_spans
        self.last_closer = text.rfind(">")
        self._blank_lines = [match.start() for match in _BLANK_LINE.finditer(text)]
        self._runs: dict[int, list[int]] = {}  # backtick runs by length: their start positions
        for run in _BACKTICKS.finditer(text):
            self._runs.setdefault(run.end() - run.start(), []).append(run.start())
        self._brackets: dict[int, int] | None = None

    def code_span_end(self, start: int) -> int:
        """After the code span opened at `start`, or after the backtick run when nothing closes it."""
        end = start
        while end < len(self.text) and self.text[end] == "`":
            end += 1
        starts = self._runs.get(end - start, [])
        candidate = bisect.bisect_left(starts, end)
        if candidate == len(starts):
            return end
        closer = starts[candidate]
        blank = bisect.bisect_left(self._blank_lines, end)
        if blank < len(self._blank_lines) and self._blank_lines[blank] < closer:
            return end  # code spans end with their paragraph
        return closer + end - start

    def label_end(self, start: int) -> int:
        """Index of the `]` closing the `[` at `start`, or -1 (unbalanced, or a blank line between)."""
        if self._brackets is None:
            self._brackets = self._match_brackets()
        return self._brackets.get(start, -1)

    def _match_brackets(self) -> dict[int, int]:
        text = self.text
        pairs: dict[int, int] = {}
        open_at: list[int] = []
        i = 0
        while True:
            match = _BRACKET_SCAN.search(text, i)
            if match is None:
                return pairs
            i = match.start()
            char = text[i]
            if char == "\\":
                i += 2
                continue
            if char == "`":
                if self.skip_spans:
                    i = self.code_span_end(i)
                    continue
            elif char == "[":
                open_at.append(i)
            elif char == "]":
                if open_at:
                    pairs[open_at.pop()] = i
            elif _BLANK_LINE.match(text, i):
                open_at.clear()
            i += 1


def _skip_whitespace(text: str, i: int) -> int:
    newlines = 0
    while i < len(text) and text[i] in " \t\n":
        if text[i] == "\n":
            newlines += 1
            if newlines > 1:
                break
        i += 1
    return i


def _title_end(text: str, start: int) -> int:
    closer = ")" if text[start] == "(" else text[start]
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == closer:
            return i + 1
        if closer == ")" and char == "(":
            return -1
        if char == "\n" and _BLANK_LINE.match(text, i):
            return -1
        i += 1
    return -1


def _reference_after(text: str, start: int) -> tuple[str, int] | None:
    """`[label]` right after an image's text: (label, end), with an empty label for `[]`."""
    if not text.startswith("[", start):
        return None
    i = start + 1
    while i < len(text) and i - start <= 1000:
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            return None
        if char == "]":
            return text[start + 1 : i], i + 1
        i += 1
    return None


def _neutralize_definitions(text: str) -> str:
    """Escape the `[` of each reference definition whose target is not a safe link."""
    positions = []
    for match in _DEFINITION.finditer(text):
        target = match.group(3)
        url = _decode(target[1:-1] if target.startswith("<") else target)
        if not is_safe_link(url):
            positions.append(match.start(2) - 1)
    pieces = [text[start:end] for start, end in zip([0, *positions], [*positions, len(text)], strict=True)]
    return "\\".join(pieces)


# -- The check ----------------------------------------------------------------------------------


def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    # Keep every URL as written (decoded), so the check sees what a browser would get.
    parser.validateLink = lambda url: True  # type: ignore[method-assign]
    parser.normalizeLink = lambda url: url  # type: ignore[method-assign]
    parser.normalizeLinkText = lambda link: link  # type: ignore[method-assign]
    return parser


_PARSER = _parser()
_BLOCKS = _parser().disable("inline")  # code blocks and reference definitions are block-level


def code_block_lines(text: str) -> frozenset[int]:
    """The 0-based numbers of the lines of `text` that are in a fenced or indented code block,
    as a CommonMark renderer reads it."""
    return _code_lines(_BLOCKS.parse(text, {}))


def _code_lines(tokens: Sequence[Token]) -> frozenset[int]:
    lines: set[int] = set()
    for token in tokens:
        if token.type in ("fence", "code_block") and token.map:
            lines.update(range(token.map[0], token.map[1]))
    return frozenset(lines)


def _walk(tokens: Sequence[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def _is_safe(markdown: str, hosts: frozenset[str]) -> bool:
    for token in _walk(_PARSER.parse(markdown)):
        if token.type == "image" and not _allowed_image(str(token.attrGet("src") or ""), hosts):
            return False
        if token.type == "link_open" and not is_safe_link(str(token.attrGet("href") or "")):
            return False
        if token.type in ("html_inline", "html_block"):
            for start in _IMG_START.finditer(token.content):
                tag = _IMG_TAG.match(token.content, start.start())
                if tag is None or _img_tag_form(tag.group(0), hosts) != tag.group(0):
                    return False
    return True
