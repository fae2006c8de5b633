"""The recipe's proxies, run by Debian's caddy and nginx from deploy/: the identity and groups
headers reach a replica only as the proxy's own sign-in set them, every response carries the security headers
once, Streamlit's metrics refuse a request that came through the proxy, and the app still works
through them in Chromium (its websocket included)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from bench.frames import FrameCounter
from devtools.standin import Reply
from tests.browser.conftest import AppServer, app_env, new_page
from tests.browser.helpers import send
from tests.fleet.proxies import Seen, Upstream, recording_upstream, request, running

PROXIES = ["caddy", "nginx"]
# A client claiming to be someone, twice and in two letter cases.
FORGED = [
    ("X-Forwarded-Email", "boss@example.com"),
    ("x-forwarded-email", "admin@example.com"),
    ("X-Forwarded-Groups", "ops"),
    ("x-forwarded-groups", "admins"),
]
WEBSOCKET = [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Version", "13")]
SECURITY = {
    "x-frame-options": ["DENY"],
    "content-security-policy": ["frame-ancestors 'none'"],
    "x-content-type-options": ["nosniff"],
}


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    with recording_upstream() as recording:
        yield recording


def reached(upstream: Upstream, path: str) -> list[Seen]:
    """The requests for `path` that reached the replica (Caddy's health checks aside)."""
    return [seen for seen in upstream.seen if seen.path == path]


def security_headers(headers: dict[str, list[str]]) -> dict[str, list[str]]:
    return {name: headers.get(name, []) for name in SECURITY}


@pytest.mark.parametrize("name", PROXIES)
def test_without_sign_in_at_the_proxy_no_identity_header_reaches_a_replica(name, upstream, tmp_path):
    with running(name, tmp_path, upstream.address) as proxy:
        for path, extra in (("/?c=1", []), ("/_stcore/stream", WEBSOCKET)):
            status, _ = request(proxy.port, path, FORGED + extra)
            [seen] = reached(upstream, path)
            assert status == 200, path
            assert seen.values("X-Forwarded-Email") == [], path
            assert seen.values("X-Forwarded-Groups") == [], path
            # What the app needs to tell a forwarded request: the proxy's own X-Forwarded-For.
            assert seen.values("X-Forwarded-For") == ["127.0.0.1"], path
            assert seen.values("Host") == [f"127.0.0.1:{proxy.port}"], path


@pytest.mark.parametrize("name", PROXIES)
def test_sign_in_at_the_proxy_is_the_only_source_of_the_identity_header(name, upstream, tmp_path):
    with running(name, tmp_path, upstream.address, sign_in=upstream.address) as proxy:
        status, headers = request(proxy.port, "/?c=1", FORGED)
        assert status == 302  # not signed in: to the sign-in page, and nothing reaches a replica
        [location] = headers["location"]  # nginx makes it absolute, Caddy leaves it as written
        assert location.removeprefix(f"http://127.0.0.1:{proxy.port}") == (
            f"/oauth2/sign_in?rd=http://127.0.0.1:{proxy.port}/?c=1"
        )
        assert security_headers(headers) == SECURITY  # the proxy's own answers are marked too
        assert reached(upstream, "/?c=1") == []

        for path, extra in (("/?c=2", []), ("/_stcore/stream", WEBSOCKET)):
            status, _ = request(proxy.port, path, [*FORGED, ("Cookie", "session=alice"), *extra])
            [seen] = reached(upstream, path)
            assert status == 200, path
            assert seen.values("X-Forwarded-Email") == ["alice@example.com"], path
            assert seen.values("X-Forwarded-Groups") == ["research,interns"], path

        # Signed in, but the service named nobody: the client's claim does not fill the gap.
        status, _ = request(proxy.port, "/?c=3", [*FORGED, ("Cookie", "session=nobody")])
        [seen] = reached(upstream, "/?c=3")
        assert status == 200 and seen.values("X-Forwarded-Email") == []
        assert seen.values("X-Forwarded-Groups") == []

        status, _ = request(proxy.port, "/oauth2/sign_in?rd=/", [])
        assert status == 200 and len(reached(upstream, "/oauth2/sign_in?rd=/")) == 1  # its pages pass


@pytest.mark.parametrize("name", PROXIES)
def test_every_response_carries_the_security_headers_once(name, upstream, tmp_path):
    with running(name, tmp_path, upstream.address) as proxy:
        for path in ("/", "/static/js/index.js", "/_stcore/health", "/media/0123.png"):
            status, headers = request(proxy.port, path, [])
            assert status == 200
            # The replica said SAMEORIGIN: the proxy's DENY replaces it rather than joining it.
            assert security_headers(headers) == SECURITY, path


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[AppServer]:
    """serve.py on loopback, as a replica runs."""
    server = AppServer(app_env(), Path(tmp_path_factory.mktemp("replica"))).start()
    yield server
    server.stop()


@pytest.mark.parametrize("name", PROXIES)
def test_streamlit_metrics_refuse_a_request_that_came_through_the_proxy(name, app, tmp_path):
    with running(name, tmp_path, f"127.0.0.1:{app.port}") as proxy:
        status, headers = request(proxy.port, "/_stcore/metrics", [])
        assert status == 403
        assert security_headers(headers) == SECURITY  # the replica's and the proxy's, once
        assert request(proxy.port, "/_stcore/health", [])[0] == 200


@pytest.mark.browser
@pytest.mark.parametrize("name", PROXIES)
def test_a_chat_answers_through_the_proxy(name, standin, browser: Browser, tmp_path):
    standin.enqueue(Reply(text="Through the proxy."))
    # Nobody signs in here, and a request through a proxy does not come visibly from this
    # machine: the test accepts anonymous use, as an operator would have to.
    env = app_env(
        GPTPROTO_BASE_URL=standin.base_url, GPTPROTO_API_KEY=standin.api_key, GPTPROTO_ALLOW_ANONYMOUS="true"
    )
    server = AppServer(env, tmp_path).start()
    try:
        with running(name, tmp_path / name, f"127.0.0.1:{server.port}") as proxy:
            page = new_page(browser)
            counter = FrameCounter()  # records each websocket handshake's extensions
            counter.attach(page)
            page.goto(f"http://127.0.0.1:{proxy.port}/")
            send(page, "Hello")
            expect(page.get_by_text("Through the proxy.")).to_be_visible()
            # The page's messages travel compressed through the proxy as well.
            agreed = counter.extensions
            assert agreed and all(offer.startswith("permessage-deflate") for offer in agreed)
            page.context.close()
    finally:
        server.stop()
