"""A real OpenID Connect provider on loopback for tests of Streamlit's own sign-in (`st.login`,
`st.user`, `st.logout`), and the helpers that point a Streamlit server at it and sign a browser
in and out.

The provider is PyPI's `oidc-provider-mock` (a Flask app on Authlib's server side), served by
werkzeug on 127.0.0.1 in a thread. It runs with client registration required, so the client id,
secret and redirect URI Streamlit sends are really checked: a wrong one fails the sign-in.

What Streamlit 1.67 needs (read from streamlit/auth_util.py and
streamlit/web/server/starlette/starlette_auth_routes.py, and tried in tests/browser/test_oidc_spike.py):
- `Authlib>=1.3.2` and `httpx` installed (the `streamlit[auth]` extra);
- an `[auth]` section in a `secrets.toml` that Streamlit reads: `~/.streamlit/`, the server's
  working directory's `.streamlit/`, then the main script's folder's `.streamlit/` (later ones
  win; see `streamlit.config.get_config_files`);
- in `[auth]`: `redirect_uri`, `cookie_secret`, `client_id`, `client_secret` and
  `server_metadata_url` (the issuer + `/.well-known/openid-configuration`).
  `redirect_uri` is the app's origin + `/oauth2callback` (a literal `{port}` in it becomes
  `server.port`), with the same host the browser opens: the sign-in state cookie is set on that
  host, and the identity cookie is only honoured on a websocket from that origin, so opening
  `localhost` with a `127.0.0.1` redirect URI ends signed out, without a message.
  `cookie_secret` signs the identity cookie: another secret (a restart with a new one, a replica
  with its own) reads as signed out.
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.request
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import werkzeug.serving
from playwright.sync_api import Page, expect

with warnings.catch_warnings():
    # The mock imports authlib.jose, which newer Authlib marks deprecated: not ours to fix.
    import authlib.deprecate

    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    import oidc_provider_mock


@dataclass(frozen=True)
class OidcUser:
    """A user the provider knows: `sub` is its stable id at this issuer."""

    sub: str
    email: str
    name: str


@dataclass(frozen=True)
class OidcClient:
    """A client registered at the provider for one redirect URI (one app server)."""

    client_id: str
    client_secret: str
    redirect_uri: str


class _QuietHandler(werkzeug.serving.WSGIRequestHandler):
    """No access log line per request on the test's stderr."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class OidcProvider:
    """`oidc-provider-mock` on a free 127.0.0.1 port, in a thread of the test process.

    `user_claims` are what its command line takes as `--user-claims`: predefined users, each a
    JSON object with a "sub" and the claims its ID token carries, as written (so a user can have
    `"email_verified": false`, which `add_user` never gives)."""

    def __init__(self, user_claims: Sequence[Mapping[str, object]] = ()) -> None:
        users = [
            oidc_provider_mock.User(
                sub=str(claims["sub"]), claims={k: v for k, v in claims.items() if k != "sub"}
            )
            for claims in user_claims
        ]
        app = oidc_provider_mock.app(require_client_registration=True, user_claims=users)
        self._server = werkzeug.serving.make_server(
            "127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler
        )
        self.issuer = f"http://127.0.0.1:{self._server.server_port}"
        self.server_metadata_url = f"{self.issuer}/.well-known/openid-configuration"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def start(self) -> OidcProvider:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def add_user(self, sub: str, email: str, name: str) -> OidcUser:
        """Register (or replace) a user with the claims its ID token will carry."""
        claims = {"email": email, "email_verified": True, "name": name}
        self._request("PUT", f"/users/{sub}", claims)
        return OidcUser(sub=sub, email=email, name=name)

    def register_client(self, redirect_uri: str) -> OidcClient:
        """A fresh client id and secret that may only redirect to `redirect_uri`."""
        body = {"redirect_uris": [redirect_uri], "token_endpoint_auth_method": "client_secret_basic"}
        answer = self._request("POST", "/oauth2/clients", body)
        return OidcClient(answer["client_id"], answer["client_secret"], redirect_uri)

    def _request(self, method: str, path: str, body: Mapping[str, object]) -> dict[str, str]:
        request = urllib.request.Request(
            f"{self.issuer}{path}",
            data=json.dumps(body).encode(),
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read().decode()
        return json.loads(text) if text else {}


@pytest.fixture(name="oidc_provider")
def oidc_provider_fixture() -> Iterator[OidcProvider]:
    """`oidc_provider`: a fresh provider per test (it starts in milliseconds), so users and clients
    never leak between tests. Import `oidc_provider_fixture` into a test module (or a conftest)
    to use it; the distinct name keeps test parameters from shadowing an import."""
    provider = OidcProvider().start()
    try:
        yield provider
    finally:
        provider.stop()


def auth_secrets_toml(provider: OidcProvider, client: OidcClient, cookie_secret: str) -> str:
    """The `[auth]` section of `secrets.toml` for Streamlit's default (unnamed) provider."""
    values = {
        "redirect_uri": client.redirect_uri,
        "cookie_secret": cookie_secret,
        "client_id": client.client_id,
        "client_secret": client.client_secret,
        "server_metadata_url": provider.server_metadata_url,
    }
    # A JSON string is a valid TOML basic string.
    return "[auth]\n" + "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items())


def write_auth_secrets(
    workdir: Path, provider: OidcProvider, redirect_uri: str, cookie_secret: str
) -> OidcClient:
    """Register a client for `redirect_uri` and append its `[auth]` section to
    `workdir/.streamlit/secrets.toml`, where a server started with `cwd=workdir` reads it."""
    client = provider.register_client(redirect_uri)
    secrets = workdir / ".streamlit" / "secrets.toml"
    secrets.parent.mkdir(parents=True, exist_ok=True)
    existing = secrets.read_text() if secrets.exists() else ""
    if re.search(r"^\[auth[\].]", existing, re.MULTILINE):
        raise ValueError(f"{secrets} already has an [auth] section")
    secrets.write_text(
        existing + ("\n" if existing else "") + auth_secrets_toml(provider, client, cookie_secret)
    )
    return client


def sign_in(
    page: Page,
    app_url: str,
    user: OidcUser,
    *,
    button: str = "Sign in",
    signed_in_text: str | None = None,
) -> float:
    """Open the app, click its sign-in button, authorize `user` on the provider's form and wait
    until the app shows `signed_in_text` (the user's email by default). Returns the seconds from
    the click to that text."""
    page.goto(app_url)
    started = time.monotonic()
    page.get_by_role("button", name=button).click()
    # The provider's authorize form: one text field named "sub" and an "Authorize" button.
    page.wait_for_url("**/oauth2/authorize?**")
    page.locator("input[name=sub]").fill(user.sub)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{app_url.rstrip('/')}/**")
    expect(page.get_by_text(signed_in_text or user.email).first).to_be_visible()
    return time.monotonic() - started


def sign_out(page: Page, *, button: str = "Sign out", signed_out_button: str = "Sign in") -> float:
    """Click the app's sign-out button, confirm on the provider's end-session page, and wait until
    the app is back and shows its sign-in button. Returns the seconds from the click."""
    parts = urlsplit(page.url)
    app_origin = f"{parts.scheme}://{parts.netloc}"
    started = time.monotonic()
    page.get_by_role("button", name=button).click()
    # Streamlit sends the browser to the provider's end_session_endpoint (it is in the metadata);
    # oidc-provider-mock asks for a click there, then returns to the app's /oauth2callback.
    page.wait_for_url("**/oauth2/end_session?**")
    page.get_by_role("button", name="End session").click()
    page.wait_for_url(f"{app_origin}/**")
    expect(page.get_by_role("button", name=signed_out_button)).to_be_visible()
    return time.monotonic() - started
