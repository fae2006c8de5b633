"""The compare page in headless Chromium: three models stream at the same time, each into its own
column, and the page fits a 1280 px window."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from devtools.standin import Reply
from tests.browser.conftest import AppServer, app_env
from tests.waiting import wait_until

pytestmark = pytest.mark.browser

MODELS = ["o4-mini", "gpt-4o", "o3"]
# Each answer is paced to take a known time: first token delay + (words - 1) × chunk delay.
PACED = {
    "o4-mini": Reply(
        text="Seven is prime: its only divisors are one and itself, so nothing else divides it evenly.",
        first_token_delay=0.3,
        chunk_delay=0.09,
    ),
    "gpt-4o": Reply(
        text=(
            "Eleven is prime. A quick check in code:\n\n"
            "```python\nprint(all(11 % d for d in range(2, 11)))  # True, no divisor between two and ten\n```"
        ),
        first_token_delay=0.5,
        chunk_delay=0.09,
    ),
    "o3": Reply(
        text=(
            "Thirteen is prime. See https://en.wikipedia.org/wiki/Prime_number#Primality_testing_and_more "
            "for how primality is tested at scale."
        ),
        first_token_delay=0.7,
        chunk_delay=0.09,
        reasoning_tokens=40,
    ),
}


@pytest.fixture
def compare_server(standin, tmp_path) -> Iterator[AppServer]:
    env = app_env(
        GPTPROTO_BASE_URL=standin.base_url,
        GPTPROTO_API_KEY=standin.api_key,
        GPTPROTO_MODELS=",".join(MODELS),
        GPTPROTO_PRICES="gpt-4o=2.5/10,o3=2/8",
    )
    server = AppServer(env, tmp_path).start()
    yield server
    server.stop()


def _add_model(page: Page, model: str) -> None:
    page.get_by_test_id("stMultiSelect").locator("input").click()
    page.get_by_role("option", name=model, exact=True).click()
    page.keyboard.press("Escape")


def _horizontal_overflow(page: Page) -> dict[str, list[int] | None]:
    """scrollWidth and clientWidth of the page and of Streamlit's main scroll area."""
    return page.evaluate(
        """() => {
            const sizes = {};
            const targets = {
                document: document.scrollingElement,
                main: document.querySelector('main.stMain'),
                view: document.querySelector('[data-testid="stAppViewContainer"]'),
            };
            for (const [name, el] of Object.entries(targets)) {
                sizes[name] = el ? [el.scrollWidth, el.clientWidth] : null;
            }
            return sizes;
        }"""
    )


def _open_compare(page: Page, url: str) -> Locator:
    """Open the Compare page and return its chat input, once it has replaced the Chat page's (a
    prompt typed before the switch would go to the Chat page's input and be lost)."""
    page.goto(url)
    page.get_by_role("link", name="Compare models").click()
    expect(page.get_by_role("heading", name="Compare models")).to_be_visible()
    box = page.get_by_placeholder(re.compile("Ask every model at once"))
    expect(box).to_be_visible()
    return box


def test_three_models_stream_at_once_into_equal_columns(page: Page, compare_server, standin, tmp_path):
    for model, reply in PACED.items():
        standin.enqueue_for(model, reply)
    box = _open_compare(page, compare_server.url)
    _add_model(page, "o3")
    expect(page.get_by_test_id("stMultiSelect").get_by_text("o3", exact=True)).to_be_visible()

    box.fill("Name a prime number and say why.")
    box.press("Enter")
    columns = page.get_by_test_id("stColumn")
    expect(columns).to_have_count(3)
    # The cost line is drawn once a column is finished, so three of them mean the round is done.
    expect(page.get_by_text(re.compile(r"^Cost: "))).to_have_count(3, timeout=30_000)

    requests = standin.requests
    assert sorted(r.body["model"] for r in requests) == sorted(MODELS)
    # At the same time, not one after the other: by the stand-in's own clock, every column's first
    # chunk went out before any column's last one (each answer streams for over a second). How
    # much faster than one after the other is a figure: `python -m bench.compare_ratio`.
    firsts = [r.first_chunk_at for r in requests]
    lasts = [r.last_chunk_at for r in requests]
    assert all(t is not None for t in firsts + lasts), requests
    assert max(firsts) < min(lasts), (firsts, lasts)

    for index, model in enumerate(MODELS):
        column = columns.nth(index)
        expect(column.get_by_role("heading", name=model)).to_be_visible()
        expect(column.get_by_text(re.compile(r"first token .* total .* tokens/s"))).to_be_visible()
        for other in MODELS:
            if other != model:
                expect(column.get_by_role("heading", name=other, exact=True)).to_have_count(0)
    expect(columns.nth(0).get_by_text("Seven is prime")).to_be_visible()
    expect(columns.nth(1).locator("code").filter(has_text="print(all(11 % d")).to_be_visible()
    expect(columns.nth(2).get_by_text("Thirteen is prime")).to_be_visible()
    expect(columns.nth(2).get_by_text(re.compile(r"40 reasoning"))).to_be_visible()
    expect(columns.nth(0).get_by_text("Cost: no price set")).to_be_visible()
    expect(columns.nth(1).get_by_text(re.compile(r"Cost: ≈ \$.* \$2\.5/\$10 per 1M"))).to_be_visible()
    expect(page.get_by_test_id("stDataFrame")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Export HTML"))).to_be_visible()

    # Equal columns, and nothing wider than the 1280 px window.
    widths = [columns.nth(i).bounding_box()["width"] for i in range(3)]  # type: ignore[index]
    assert max(widths) - min(widths) <= 2, widths
    sizes = _horizontal_overflow(page)
    assert sizes["main"] is not None, "Streamlit's main scroll area was not found"
    for name, size in sizes.items():
        assert size is None or size[0] <= size[1], (name, size)
    for index in range(3):
        scroll_width, client_width = columns.nth(index).evaluate("el => [el.scrollWidth, el.clientWidth]")
        assert scroll_width <= client_width, (MODELS[index], scroll_width, client_width)

    # Streamlit scrolls inside its main area: grow the window's height to show the whole page.
    height = page.evaluate("document.querySelector('main.stMain').scrollHeight")
    page.set_viewport_size({"width": 1280, "height": max(900, int(height))})
    page.screenshot(path=str(tmp_path / "compare.png"), full_page=True)


def test_stop_all_ends_every_stream_and_keeps_each_partial_answer(page: Page, compare_server, standin):
    long = " ".join(f"token{i}" for i in range(400))
    for model in MODELS[:2]:
        standin.enqueue_for(model, Reply(text=long, chunk_delay=0.03))
    box = _open_compare(page, compare_server.url)
    box.fill("Count slowly")
    box.press("Enter")
    expect(page.get_by_text(re.compile(r"token20\b")).first).to_be_visible()
    page.get_by_role("button", name="Stop all").click()
    columns = page.get_by_test_id("stColumn")
    for index in range(2):
        expect(columns.nth(index).get_by_text(re.compile("stopped"))).to_be_visible()
        expect(columns.nth(index).get_by_text(re.compile(r"token10\b"))).to_be_visible()
    assert wait_until(lambda: all(r.client_disconnected for r in standin.requests), timeout=5)
    assert len(standin.requests) == 2
    assert all(r.client_disconnected and r.chunks_sent < 400 for r in standin.requests)
