"""Every test is sealed: no real key, no real settings, files under a tmp dir."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from streamlit import config

from devtools.standin.fixture import standin  # noqa: F401  (a fixture, used by name)

if TYPE_CHECKING:  # Playwright loads only for a test that asks for a browser (tests/chromium.py)
    from playwright.sync_api import Browser, Page

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
# sync Playwright in the same session cannot start): so the fixtures are defined here, above
# those folders, and import Playwright only when a test first asks for them.
@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    from tests.chromium import chromium

    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    from tests.chromium import fresh_page

    with fresh_page(browser) as opened:
        yield opened
