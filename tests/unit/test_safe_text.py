"""Names and titles shown as written: bidi and control characters out, no markdown taking effect."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from core.safe_text import code_span, literal, printable

_RENDER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def rendered(markdown: str) -> str:
    return _RENDER.render(markdown)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("gpj\u202eexe.png", "gpjexe.png"),  # right-to-left override
        ("\u2066isolated\u2069 \u202atext\u202c \u200fmark\u200e \u061calm", "isolated text mark alm"),
        ("red\x1b[31m alert\x07", "red[31m alert"),  # ESC and BEL (the CSI left is plain text)
        ("a\x00b\x7fc\x9bd", "abcd"),  # NUL, DEL and C1's CSI
        ("two\nlines\tand\r\na\u2028break", "two lines and  a break"),
        ("Ünïcödé, emoji 👩‍💻 and CJK 漢字", "Ünïcödé, emoji 👩‍💻 and CJK 漢字"),  # the ZWJ stays
    ],
)
def test_printable_drops_bidi_and_control_characters_and_keeps_the_rest(raw, expected):
    assert printable(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Demo day", "Demo day"),
        ("bad.png (3 prompts): done, @ann's", "bad.png (3 prompts): done, @ann's"),
        ("![p](http://127.0.0.1:9/x)", "\\!\\[p\\](http://127.0.0.1:9/x)"),
        (
            "<img src=x> `code` **b** _i_ ~~s~~ $x$ a|b #1 &amp;",
            "\\<img src=x\\> \\`code\\` \\*\\*b\\*\\* \\_i\\_ \\~\\~s\\~\\~ \\$x\\$ a\\|b \\#1 \\&amp;",
        ),
        ("cut off by max_completion_tokens", "cut off by max_completion_tokens"),  # never emphasis
        ("_lead trail_ a__b", "\\_lead trail\\_ a\\_\\_b"),
        ("1. first", "1\\. first"),
        ("- item", "\\- item"),
        ("> quote", "\\> quote"),
        ("ends with \\", "ends with \\\\"),
        ("evil\u202etxt.exe\x1b", "eviltxt.exe"),
        ("  spread\n\nover   lines ", "spread over lines"),
    ],
)
def test_literal_escapes_what_starts_markup_and_leaves_plain_punctuation(raw, expected):
    assert literal(raw) == expected
    html = rendered(literal(raw))
    assert "<img" not in html and "<a " not in html and "<code>" not in html and "<em>" not in html


@pytest.mark.parametrize(
    "hostile",
    [
        "![p](http://127.0.0.1:9/x)",
        "x](http://127.0.0.1:9/x) ![p",
        "]",
        "\\",
        "`",
        "*",
        "a![",
        "[p]: http://127.0.0.1:9/x",
    ],
)
def test_literal_text_cannot_reach_across_the_apps_markdown_around_it(hostile):
    # The app puts names inside bold, a colour directive's brackets and before a link of its own.
    markdown = f"**{literal(hostile)}** :gray[{literal(hostile)}] ![ok](data:image/png;base64,AA==)"
    html = rendered(markdown)
    assert html.count("<img") == 1 and 'src="data:image/png;base64,AA=="' in html
    assert "<a " not in html
    assert html.count("<strong>") == 1


def test_literal_accepts_anything_printable_as_text():
    assert literal(ValueError("bad [x]")) == "bad \\[x\\]"
    assert literal(12_345) == "12345"


def test_code_span_keeps_backticks_inside_and_cleans_controls():
    assert code_span("req_123") == "`req_123`"
    assert code_span("a`b") == "``a`b``"
    assert code_span("`x") == "`` `x ``"
    assert code_span("id\u202e\x1b\n2") == "`id 2`"
    assert code_span("") == ""
    assert rendered(code_span("``![p](http://127.0.0.1:9/x)")).count("<code>") == 1
    assert "<img" not in rendered(code_span("``![p](http://127.0.0.1:9/x)"))
