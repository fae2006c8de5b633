"""Every test is sealed: no real key, no real settings, files under a tmp dir."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from streamlit import config

from devtools.browser import CHROMIUM, CHROMIUM_ARGS
from devtools.standin.fixture import standin  # noqa: F401  (a fixture, used by name)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def sealed_environment(tmp_path, monkeypatch):
    """No developer .env, secrets or GPTPROTO_* variables leak into a test."""
    for name in list(os.environ):
        if name.startswith(("GPTPROTO_", "OPENAI_")) or name == "DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("GPTPROTO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    # AppTest runs no server, so it reads no server.address: give it the committed default
    # (.streamlit/config.toml binds to loopback), as `scripts/start.sh` and the browser tests run.
    config.set_option("server.address", "127.0.0.1")
    yield


# One Chromium for the whole session, shared by the browser, fleet and bench checks (a second
# sync Playwright in the same session cannot start).
@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is required for browser tests: apt-get install chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    yield opened
    context.close()
