"""Image links from outside read as URLs: https, a host, nothing that ends a link in markdown."""

from __future__ import annotations

import pytest

from core.web_address import WebAddress, parse_web_address


@pytest.mark.parametrize(
    ("raw", "host"),
    [
        ("https://img.example.com/cat.png", "img.example.com"),
        ("https://IMG.Example.com:8443/a/b.jpg?size=2&x=%28y%29#top", "img.example.com"),
        ("https://cdn.example/path_with-odd.chars~!$*+,;=:@/x.webp", "cdn.example"),
        ("https://127.0.0.1/p.gif", "127.0.0.1"),
    ],
)
def test_a_plain_https_url_is_read_with_its_host(raw, host):
    assert parse_web_address(raw) == WebAddress(raw, host)


@pytest.mark.parametrize(
    "raw",
    [
        "https://x.example/a.png)![p](http://127.0.0.1:9/p)",  # breaks out of a markdown link
        "https://x.example/a.png>",
        "https://x.example/a b.png",
        "https://x.example/a.png\n[p]: http://127.0.0.1:9/",
        'https://x.example/a.png"onerror="x',
        "https://x.example/`code`",
        "https://x.example/a\\b",
        "https://x.example/[a]",
        "https://x.example/{a}|^",
        "https://x.example/\u202egnp.exe",
        "https://x.example/caf\u00e9.png",
        "http://x.example/a.png",  # not https
        "javascript:alert(1)",
        "data:image/png;base64,AA==",
        "//x.example/a.png",
        "https:///a.png",
        "https://user:pass@x.example/a.png",
        "https://@x.example/a.png",
        "https://x.example:99999/a.png",
        "https://x.example:0/a.png",
        "https://x.example:port/a.png",
        "https://-x.example/a.png",
        "https://x_y.example/a.png",
        "",
        "https://x.example/" + "a" * 5000,
    ],
)
def test_anything_else_is_refused(raw):
    assert parse_web_address(raw) is None
