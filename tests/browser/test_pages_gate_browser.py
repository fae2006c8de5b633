"""The pages live in `pages/`, which Streamlit serves by itself on a fresh server before any
session has run app.py's `st.navigation`: the first request to any page's path, on a server that
has served nobody yet, must still meet the sign-in gate and never draw the page."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from devtools.browser import free_port
from devtools.process import streamlit_command, wait_healthy
from tests.browser.conftest import OIDC_COOKIE_SECRET, AppServer, app_env, new_page
from tests.conftest import ROOT
from tests.oidc import OidcProvider, write_auth_secrets

pytestmark = pytest.mark.browser

# Every page's URL path, and the paths Streamlit derives from the files in pages/ (the same
# names: a page's path is its file's name).
PATHS = ["/", "/chat", "/compare", "/history", "/shared?s=abc", "/admin"]
FILE_PATHS = sorted(f"/{path.stem}" for path in (ROOT / "pages").glob("*.py") if path.stem != "__init__")

# What each page draws once someone is signed in: none of it may show before.
PAGE_CONTENT = ("stChatInputTextArea", "stSidebarNav", "stTextInput")


def test_every_page_file_has_its_path_listed():
    assert FILE_PATHS == ["/admin", "/chat", "/compare", "/history", "/shared"]
    assert set(FILE_PATHS) <= {path.split("?")[0] for path in PATHS}


class PlainServer(AppServer):
    """The app under plain `streamlit run app.py` (the README's other way to start it)."""

    def start(self) -> PlainServer:
        log = self._log.open("ab")
        command = streamlit_command(ROOT / "app.py", self.port)
        self.process = subprocess.Popen(command, cwd=self._workdir, env=self._env, stdout=log, stderr=log)
        wait_healthy(self.url, self.process, self.log)
        return self


@pytest.fixture(params=["serve.py", "streamlit run"])
def server_kind(request) -> type[AppServer]:
    return AppServer if request.param == "serve.py" else PlainServer


def _fresh(kind: type[AppServer], workdir: Path, port: int | None = None, **env: str) -> AppServer:
    return kind(app_env(GPTPROTO_API_KEY="sk-gate-test", **env), workdir, port).start()


def _shows_only_the_gate(browser: Browser, url: str, title: str) -> None:
    page = new_page(browser)
    page.goto(url)
    # The first run of a fresh server imports the app: on a busy machine that takes seconds.
    expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=60_000)
    for test_id in PAGE_CONTENT:
        expect(page.get_by_test_id(test_id)).to_have_count(0)
    expect(page.get_by_text("Compare models")).to_have_count(0)
    page.context.close()


@pytest.fixture
def fresh_servers() -> Iterator[list[AppServer]]:
    started: list[AppServer] = []
    yield started
    for server in started:
        server.stop()


@pytest.mark.parametrize("path", PATHS)
def test_header_mode_first_request_of_a_fresh_server_meets_the_gate(
    browser: Browser, tmp_path: Path, path: str, server_kind: type[AppServer], fresh_servers
):
    server = _fresh(server_kind, tmp_path, GPTPROTO_IDENTITY_HEADER="X-Forwarded-Email")
    fresh_servers.append(server)
    _shows_only_the_gate(browser, server.url + path, "Sign-in required")


@pytest.mark.parametrize("path", PATHS)
def test_oidc_first_request_of_a_fresh_server_meets_the_gate(
    browser: Browser, tmp_path: Path, path: str, oidc_provider: OidcProvider, fresh_servers
):
    port = free_port()
    write_auth_secrets(tmp_path, oidc_provider, f"http://127.0.0.1:{port}/oauth2callback", OIDC_COOKIE_SECRET)
    server = _fresh(AppServer, tmp_path, port)
    fresh_servers.append(server)
    _shows_only_the_gate(browser, server.url + path, "Sign in to GPTProto Chat")
