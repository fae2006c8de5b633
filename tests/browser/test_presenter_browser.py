"""The presenter view on a projector-sized screen: a prepared link opens it with the sidebar
collapsed and large type, Compare fills the width, the blind vote is big buttons, and nothing
scrolls sideways at 1280×720 or at 1920×1080."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from devtools.standin import Reply
from tests.browser.conftest import AppServer, app_env

pytestmark = pytest.mark.browser

SIZES = ((1280, 720), (1920, 1080))


@pytest.fixture
def presenter_server(standin, tmp_path: Path) -> Iterator[AppServer]:
    env = app_env(
        GPTPROTO_BASE_URL=standin.base_url,
        GPTPROTO_API_KEY=standin.api_key,
        GPTPROTO_MODELS="gpt-4o,o3",
        GPTPROTO_PRICES="gpt-4o=2.5/10,o3=2/8",
    )
    server = AppServer(env, tmp_path).start()
    yield server
    server.stop()


def _scroll_widths(page: Page) -> list[tuple[int, int]]:
    """(scrollWidth, clientWidth) of the document and of Streamlit's main area."""
    return page.evaluate(
        """() => [document.scrollingElement, document.querySelector('main.stMain')]
            .filter(Boolean).map(el => [el.scrollWidth, el.clientWidth])"""
    )


def _font_px(page: Page, selector: str) -> float:
    return float(page.locator(selector).first.evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))


def test_presenter_view_is_readable_without_sideways_scroll(
    browser: Browser, presenter_server: AppServer, standin, tmp_path: Path
):
    standin.enqueue_for("gpt-4o", Reply(text="Paris. " * 60))
    standin.enqueue_for("o3", Reply(text="The capital of France is Paris. " * 25, reasoning_tokens=12))
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.goto(f"{presenter_server.url}/compare?present=1")
    expect(page.get_by_role("heading", name="Compare models")).to_be_visible()
    expect(page.get_by_test_id("stSidebar")).to_have_attribute("data-collapsed", "true")

    page.get_by_test_id("stExpandSidebarButton").click()
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("Presenter view")).to_be_visible()
    sidebar.get_by_text("Blind mode (vote before names are shown)").click()
    sidebar.get_by_text("Hide costs").click()  # a price list is not for the audience
    page.get_by_test_id("stSidebarCollapseButton").locator("button").click()
    expect(sidebar).to_have_attribute("data-collapsed", "true")

    box = page.get_by_test_id("stChatInputTextArea")
    box.fill("What is the capital of France?")
    box.press("Enter")
    vote = page.get_by_role("button", name="A is best")
    expect(vote).to_be_visible(timeout=30_000)
    assert vote.bounding_box()["height"] >= 60  # type: ignore[index]  # a big target on a projector
    assert _font_px(page, "[data-testid='stChatMessage'] p") >= 20
    assert _font_px(page, "[data-testid='stColumn'] [data-testid='stMarkdownContainer'] p") >= 20
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        expect(vote).to_be_visible()
        page.screenshot(path=str(tmp_path / f"presenter-{width}x{height}.png"), full_page=True)
        for scroll_width, client_width in _scroll_widths(page):
            assert scroll_width <= client_width, (width, height, _scroll_widths(page))
    vote.click()
    expect(page.get_by_text("Vote recorded", exact=False)).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()  # the summary: the rerun is drawn
    expect(page.get_by_role("button", name="A is best")).to_have_count(0)
    expect(page.get_by_text(re.compile(r"^Cost: "))).to_have_count(0)  # prices are configured, yet hidden
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(tmp_path / f"presenter-voted-{width}x{height}.png"), full_page=True)
        for scroll_width, client_width in _scroll_widths(page):
            assert scroll_width <= client_width, (width, height, _scroll_widths(page))
    context.close()


def test_the_toggle_puts_the_view_in_the_url(page: Page, presenter_server: AppServer):
    page.goto(presenter_server.url)
    page.get_by_test_id("stSidebar").get_by_text("Presenter view").click()
    expect(page).to_have_url(re.compile(r"present=1"))
    expect(page.get_by_test_id("stSidebar").get_by_text("Hide costs")).to_be_visible()
