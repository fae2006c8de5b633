"""Whether a request comes from a browser visibly on the server's machine, from its headers."""

from __future__ import annotations

import pytest

from core.local_browser import forwarding_headers, header_values, is_loopback_host, why_not_local


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LocalHost:8501", True),
        ("localhost.:8501", True),
        ("127.0.0.1:8501", True),
        ("127.12.0.7", True),
        ("[::1]:8501", True),
        ("[::1]", True),
        ("chat.example.com", False),
        ("chat.example.com:8501", False),
        ("localhost.example.com", False),
        ("192.168.1.20:8501", False),
        ("0.0.0.0:8501", False),
        ("[::]:8501", False),
        ("::1", False),  # not a valid Host: an IPv6 address goes in brackets
        ("localhost:http", False),
        ("evil@localhost", False),
        ("[::1]x", False),
        ("", False),
        (None, False),
    ],
)
def test_loopback_host_names(host, loopback):
    assert is_loopback_host(host) is loopback


def test_every_value_of_a_repeated_header_is_kept_in_order():
    headers = [("X-Forwarded-Email", "a@example.com"), ("Host", "h"), ("x-forwarded-email", "b@example.com")]
    assert header_values(headers, "x-forwarded-email") == ["a@example.com", "b@example.com"]
    assert header_values(headers, "X-Forwarded-User") == []


def test_forwarding_headers_are_named_as_sent():
    headers = [
        ("Host", "127.0.0.1"),
        ("X-Forwarded-Host", "chat.example.com"),
        ("Via", "1.1 caddy"),
        ("CF-Connecting-IP", "203.0.113.9"),
        ("True-Client-IP", "203.0.113.9"),
        ("Accept", "*/*"),
        ("Cookie", "x-forwarded-for=1"),
    ]
    assert forwarding_headers(headers) == ["X-Forwarded-Host", "Via", "CF-Connecting-IP", "True-Client-IP"]


def test_a_browser_on_the_machine_is_local():
    assert why_not_local([("Host", "localhost:8501"), ("Origin", "http://localhost:8501")]) is None
    assert why_not_local([("Host", "[::1]:8501")]) is None  # no Origin: not a cross-site page


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        (
            [("Host", "127.0.0.1:8501"), ("X-Forwarded-For", "10.0.0.7")],
            "this request came through a proxy (it carries X-Forwarded-For)",
        ),
        (
            [("Host", "chat.example.com")],
            "this page was opened as chat.example.com, not as localhost or 127.0.0.1",
        ),
        ([("Host", "localhost"), ("Host", "chat.example.com")], "opened as localhost, chat.example.com"),
        ([], "opened as no Host header"),
        (
            [("Host", "localhost:8501"), ("Origin", "http://attacker.example")],
            "this page was loaded from http://attacker.example, not from this machine",
        ),
        ([("Host", "localhost:8501"), ("Origin", "null")], "loaded from null"),
    ],
)
def test_what_gives_a_remote_browser_away(headers, reason):
    found = why_not_local(headers)
    assert found is not None and reason in found
