"""Spike: Streamlit 1.67's own sign-in (`st.login`, `st.user`, `st.logout`) end to end against a
real OIDC provider on loopback, in headless Chromium, on a scratch app (apps/oidc_probe.py) that
prints what its script run sees. Also: what a header-mode identity looks like to the script, and
what AppTest can stand in for."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from streamlit.testing.v1 import AppTest

from tests.browser.conftest import app_env, free_port
from tests.oidc import (
    OidcProvider,
    auth_secrets_toml,
    oidc_provider_fixture,  # noqa: F401  (registers the fixture)
    sign_in,
    sign_out,
    write_auth_secrets,
)
from tests.streamlit_process import stop_process, streamlit_command, wait_healthy

PROBE = Path(__file__).resolve().parent / "apps" / "oidc_probe.py"
COOKIE_SECRET = "probe-cookie-secret-0123456789abcdef"


@contextmanager
def probe_app(workdir: Path, port: int, *extra: str) -> Iterator[str]:
    """The probe app under `streamlit run`, with `workdir` (holding any `.streamlit/secrets.toml`)
    as its working directory; yields its URL."""
    url = f"http://127.0.0.1:{port}"
    log_path = workdir / f"streamlit-{port}.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            streamlit_command(PROBE, port, *extra), cwd=workdir, env=app_env(), stdout=log, stderr=log
        )
        try:
            wait_healthy(url, process, lambda: log_path.read_text(errors="replace"))
            yield url
        finally:
            stop_process(process)


def probe(page: Page, name: str) -> Any:
    """The value the probe app printed as `name=<json>`, once its run has drawn the sign-in or
    sign-out button (its last element)."""
    expect(
        page.get_by_role("button", name="Sign in").or_(page.get_by_role("button", name="Sign out"))
    ).to_be_visible()
    line = page.get_by_test_id("stText").filter(has_text=f"{name}=").first.inner_text()
    return json.loads(line.removeprefix(f"{name}="))


@pytest.fixture
def auth_app(oidc_provider: OidcProvider, tmp_path: Path) -> Iterator[str]:
    workdir = tmp_path / "app"
    workdir.mkdir()
    port = free_port()
    write_auth_secrets(workdir, oidc_provider, f"http://127.0.0.1:{port}/oauth2callback", COOKIE_SECRET)
    with probe_app(workdir, port) as url:
        yield url


@pytest.mark.browser
def test_two_users_each_see_their_own_identity_and_sign_out_returns_to_signed_out(
    browser: Browser,
    oidc_provider: OidcProvider,
    auth_app: str,
    record_property,
):
    alice = oidc_provider.add_user("alice-0001", "alice@example.test", "Alice Archer")
    bob = oidc_provider.add_user("bob-0002", "bob@example.test", "Bob Baker")
    first, second = browser.new_context(), browser.new_context()
    try:
        page_a, page_b = first.new_page(), second.new_page()
        page_a.goto(auth_app)
        assert probe(page_a, "user") == {"is_logged_in": False}

        record_property("sign_in_seconds_alice", sign_in(page_a, auth_app, alice))
        record_property("sign_in_seconds_bob", sign_in(page_b, auth_app, bob))

        for page, user in ((page_a, alice), (page_b, bob)):
            seen = probe(page, "user")
            assert seen["is_logged_in"] is True
            assert (seen["email"], seen["sub"], seen["name"]) == (user.email, user.sub, user.name)
            # The issuer is in st.user, so iss + sub is a stable id across providers.
            assert seen["iss"] == oidc_provider.issuer
            assert seen["provider"] == "default"
            assert seen["tokens"] == {}
            assert {"aud", "exp", "iat", "nonce"} <= seen.keys()

        # A new tab of the same browser is signed in by the cookie alone.
        again = first.new_page()
        again.goto(auth_app)
        assert probe(again, "user")["sub"] == alice.sub
        again.close()

        record_property("sign_out_seconds", sign_out(page_a))
        assert probe(page_a, "user") == {"is_logged_in": False}
        page_a.reload()
        assert probe(page_a, "user") == {"is_logged_in": False}
        # Signing Alice out does not touch Bob's browser.
        page_b.reload()
        assert probe(page_b, "user")["sub"] == bob.sub
    finally:
        first.close()
        second.close()


@pytest.mark.browser
def test_a_wrong_client_secret_leaves_the_browser_signed_out(
    browser: Browser,
    oidc_provider: OidcProvider,
    tmp_path: Path,
):
    """The provider checks the secret, so a test that signs in with a wrong configuration fails."""
    carol = oidc_provider.add_user("carol-0003", "carol@example.test", "Carol")
    workdir = tmp_path / "app"
    (workdir / ".streamlit").mkdir(parents=True)
    port = free_port()
    client = oidc_provider.register_client(f"http://127.0.0.1:{port}/oauth2callback")
    wrong = type(client)(client.client_id, client.client_secret + "-wrong", client.redirect_uri)
    (workdir / ".streamlit" / "secrets.toml").write_text(
        auth_secrets_toml(oidc_provider, wrong, COOKIE_SECRET)
    )
    context = browser.new_context()
    try:
        with probe_app(workdir, port) as url:
            page = context.new_page()
            page.set_default_timeout(20_000)
            page.goto(url)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/oauth2/authorize?**")
            page.locator("input[name=sub]").fill(carol.sub)
            page.get_by_role("button", name="Authorize").click()
            page.wait_for_url(f"{url}/**")
            assert probe(page, "user") == {"is_logged_in": False}
            assert "OAuth token exchange failed" in (workdir / f"streamlit-{port}.log").read_text()
    finally:
        context.close()


@pytest.mark.browser
def test_a_browser_header_reaches_st_context_headers_and_a_trusted_header_reaches_st_user(
    browser: Browser, tmp_path: Path
):
    """Header mode, as behind a proxy that sets X-Forwarded-Email: the websocket upgrade request's
    headers are what the script run sees. `server.trustedUserHeaders` (hidden, experimental in
    1.67) copies a named header into st.user; without an [auth] section there is no is_logged_in."""
    workdir = tmp_path / "app"
    workdir.mkdir()
    with_header = browser.new_context(extra_http_headers={"X-Forwarded-Email": "dana@example.test"})
    without_header = browser.new_context()
    try:
        mapping = json.dumps({"X-Forwarded-Email": "email"})
        with probe_app(workdir, free_port(), "--server.trustedUserHeaders", mapping) as url:
            page = with_header.new_page()
            page.goto(url)
            headers = probe(page, "headers")
            assert headers["x-forwarded-email"] == "dana@example.test"
            assert headers["upgrade"] == "websocket"
            assert probe(page, "user") == {"email": "dana@example.test"}
            assert probe(page, "has_is_logged_in") is False

            bare = without_header.new_page()
            bare.goto(url)
            assert "x-forwarded-email" not in probe(bare, "headers")
            assert probe(bare, "user") == {"email": None}
    finally:
        with_header.close()
        without_header.close()


def test_apptest_user_stands_in_for_a_signed_in_user_and_logout_signs_it_out():
    """AppTest cannot run st.login, but `at.user` seeds st.user, and st.logout() empties it."""
    at = AppTest.from_file(str(PROBE))
    at.run()
    # The default AppTest user has an email but no is_logged_in: hasattr(st.user, ...) is False.
    assert [t.value for t in at.text[:2]] == ['user={"email": "test@example.com"}', "has_is_logged_in=false"]

    at.user = {"is_logged_in": True, "iss": "http://idp.test", "sub": "erin-5", "email": "erin@example.test"}
    at.run()
    assert at.text[0].value == 'user={"email": "erin@example.test", "is_logged_in": true, ' + (
        '"iss": "http://idp.test", "sub": "erin-5"}'
    )
    assert at.button[0].label == "Sign out"
    at.button[0].click().run()
    assert at.user == {"is_logged_in": False}
    at.run()
    assert at.text[0].value == 'user={"is_logged_in": false}'
    assert not at.exception
