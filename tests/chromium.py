"""The headless Chromium that the browser, fleet and bench tests drive, and a fresh page in it.
Only a test that asks for a browser imports this module (through the root conftest's fixtures),
so a unit run never loads Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from devtools.browser import CHROMIUM, CHROMIUM_ARGS


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, for as long as the block lasts."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is required for browser tests: apt-get install chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@contextmanager
def fresh_page(browser: Browser) -> Iterator[Page]:
    """A page in a context of its own: no cookies or storage left by another test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    yield opened
    context.close()
