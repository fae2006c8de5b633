"""Reasoning effort and sampling parameters in the browser: set in the sidebar, sent exactly,
kept across a reload; a parameter the gateway refuses is named and dropped in one click; and
o3 at two reasoning efforts is one comparison that reopens with them."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from devtools.standin import Reply
from tests.browser.conftest import AppServer, app_env
from tests.browser.helpers import bubbles, pick_option, select_box, send

pytestmark = pytest.mark.browser

OPTIONAL = (
    "reasoning_effort",
    "temperature",
    "top_p",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "stop",
)


def sent_parameters(body: dict) -> dict:
    return {name: body[name] for name in OPTIONAL if name in body}


def pick(page: Page, label: str, option: str) -> None:
    """Choose `option` in the sidebar's select box named `label`."""
    pick_option(page, select_box(page.get_by_test_id("stSidebar"), label), option)


def test_effort_and_temperature_are_sent_kept_and_a_refused_one_is_dropped_in_one_click(
    page: Page, app_server: AppServer, standin
):
    standin.enqueue(Reply(text="Ninety-one is seven times thirteen."))
    page.goto(app_server.url)
    sidebar = page.get_by_test_id("stSidebar")
    pick(page, "Model", "o3")
    pick(page, "Reasoning effort", "high")
    sidebar.get_by_text("Parameters").click()
    temperature = sidebar.get_by_role("textbox", name="Temperature")
    temperature.fill("0.2")
    temperature.press("Enter")
    expect(sidebar.get_by_text("Sent: effort high · temperature 0.2")).to_be_visible()

    send(page, "Is 91 prime?")
    expect(page.get_by_text("Ninety-one is seven times thirteen.")).to_be_visible()
    assert sent_parameters(standin.requests[-1].body) == {"reasoning_effort": "high", "temperature": 0.2}
    expect(page).to_have_url(re.compile(r"\?c=[0-9a-f]{32}"))

    page.reload()
    expect(page.get_by_text("Ninety-one is seven times thirteen.")).to_be_visible()
    expect(sidebar.get_by_text("Sent: effort high · temperature 0.2")).to_be_visible()

    # The gateway now refuses temperature for o3: the message names it; one click sends the
    # same prompt again without it, and everything before stays.
    standin.unsupported_params = {"temperature": {"o3"}}
    send(page, "And 97?")
    expect(page.get_by_text("The model does not accept temperature")).to_be_visible()
    assert standin.requests[-1].response_status == 400
    standin.enqueue(Reply(text="Ninety-seven is prime."))
    page.get_by_role("button", name="Send again without temperature").click()
    expect(page.get_by_text("Ninety-seven is prime.")).to_be_visible()
    assert sent_parameters(standin.requests[-1].body) == {"reasoning_effort": "high"}
    assert standin.requests[-1].body["messages"][-1] == {"role": "user", "content": "And 97?"}
    expect(bubbles(page)).to_have_count(4)
    expect(bubbles(page).nth(1)).to_contain_text("Ninety-one is seven times thirteen.")
    expect(page.get_by_text("The model does not accept temperature")).to_have_count(0)
    expect(sidebar.get_by_text("Sent: effort high")).to_be_visible()


@pytest.fixture
def compare_server(standin, tmp_path) -> Iterator[AppServer]:
    env = app_env(
        GPTPROTO_BASE_URL=standin.base_url,
        GPTPROTO_API_KEY=standin.api_key,
        GPTPROTO_MODELS="o3,gpt-4o",
        GPTPROTO_DEFAULT_MODEL="o3",  # so Compare starts on o3 and gpt-4o
    )
    server = AppServer(env, tmp_path).start()
    yield server
    server.stop()


def test_o3_high_vs_o3_low_is_one_comparison_that_reopens_with_its_efforts(
    page: Page, compare_server: AppServer, standin
):
    page.goto(compare_server.url)
    page.get_by_role("link", name="Compare models").click()
    box = page.get_by_placeholder(re.compile("Ask every model at once"))
    expect(box).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")
    sidebar = page.get_by_test_id("stSidebar")
    efforts = sidebar.get_by_test_id("stButtonGroup")
    expect(efforts).to_have_count(1)  # o3's; gpt-4o is offered no effort
    efforts.get_by_role("button", name="high", exact=True).click()
    expect(efforts.get_by_role("button", name="high", exact=True)).to_have_attribute("aria-pressed", "true")
    efforts.get_by_role("button", name="low", exact=True).click()
    expect(efforts.get_by_role("button", name="low", exact=True)).to_have_attribute("aria-pressed", "true")
    box.fill("Is 91 prime?")
    box.press("Enter")
    main = page.locator("main")
    for title in ("o3 (effort low)", "o3 (effort high)", "gpt-4o"):
        expect(main.get_by_role("heading", name=title, exact=True)).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Cost: "))).to_have_count(3, timeout=30_000)
    sent = sorted((r.body["model"], r.body.get("reasoning_effort", "")) for r in standin.requests)
    assert sent == [("gpt-4o", ""), ("o3", "high"), ("o3", "low")]
    assert all("temperature" not in r.body for r in standin.requests)
    expect(page).to_have_url(re.compile(r"\?cmp=[0-9a-f]{32}"))

    page.reload()
    for title in ("o3 (effort low)", "o3 (effort high)", "gpt-4o"):
        expect(main.get_by_role("heading", name=title, exact=True)).to_be_visible()
    for effort in ("low", "high"):
        expect(efforts.get_by_role("button", name=effort, exact=True)).to_have_attribute(
            "aria-pressed", "true"
        )
    expect(efforts.get_by_role("button", name="medium", exact=True)).to_have_attribute(
        "aria-pressed", "false"
    )
