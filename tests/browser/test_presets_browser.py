"""Presets in headless Chromium, behind a proxy that names each person: an admin writes a preset
(model, instructions, reasoning effort, starter prompts) and publishes it; another person sees it
read-only, starts a new chat from it and clicks a starter prompt, and the request the gateway
receives carries the preset's model, instructions and effort."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import AppServer, app_env, new_page
from tests.browser.helpers import bubbles, pick_option, select_box

pytestmark = pytest.mark.browser

INSTRUCTIONS = "You review code. Bugs first, style last."


@pytest.fixture
def team_app(standin, tmp_path: Path) -> Iterator[AppServer]:
    server = AppServer(
        app_env(
            GPTPROTO_BASE_URL=standin.base_url,
            GPTPROTO_API_KEY=standin.api_key,
            GPTPROTO_IDENTITY_HEADER="X-Forwarded-Email",
            GPTPROTO_ADMINS="boss@example.com",
        ),
        tmp_path,
    ).start()
    yield server
    server.stop()


def person(browser: Browser, email: str) -> Page:
    return new_page(browser, extra_http_headers={"X-Forwarded-Email": email})


def open_presets(page: Page, url: str) -> None:
    page.goto(url + "/history")
    page.get_by_text("Presets: model, instructions, parameters and starter prompts").click()


def pick(page: Page, box: str, option: str) -> None:
    """Choose `option` in the selectbox labelled `box`."""
    pick_option(page, select_box(page, box), option)


def type_into(page: Page, label: str, text: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.fill(text)
    box.blur()


def test_an_admin_publishes_a_preset_and_another_person_starts_a_chat_from_it(
    browser: Browser, team_app: AppServer, standin
):
    boss = person(browser, "boss@example.com")
    open_presets(boss, team_app.url)
    type_into(boss, "Name", "Reviewer")
    type_into(boss, "Model", "o3")
    type_into(boss, "Instructions", INSTRUCTIONS)
    pick(boss, "Reasoning effort", "high")
    type_into(boss, "Starter prompts (one per line, up to 4)", "Review this diff\nWhat could break here?")
    boss.get_by_role("button", name="Save preset").click()
    expect(boss.get_by_text("Saved “Reviewer”.")).to_be_visible()
    boss.get_by_role("button", name="Publish for everyone").click()
    expect(boss.get_by_text("Published “Reviewer”.")).to_be_visible()

    carol = person(browser, "carol@example.com")
    open_presets(carol, team_app.url)
    expect(carol.get_by_text("Published for everyone: Reviewer")).to_be_visible()
    pick(carol, "Preset", "Reviewer (published, read-only)")
    expect(carol.get_by_label("Instructions", exact=True)).to_have_value(INSTRUCTIONS)
    expect(carol.get_by_label("Instructions", exact=True)).to_be_disabled()
    expect(carol.get_by_role("button", name="Save preset")).to_be_disabled()
    expect(carol.get_by_role("button", name="Publish for everyone")).to_have_count(0)

    carol.goto(team_app.url)
    pick(carol, "Start from a preset", "Reviewer (published)")
    expect(carol.get_by_text("o3 · effort high · 2 starters")).to_be_visible()
    carol.get_by_role("button", name="What could break here?").click()
    expect(bubbles(carol)).to_have_count(2)
    expect(bubbles(carol).first).to_contain_text("What could break here?")
    body = standin.requests[-1].body
    assert body["model"] == "o3" and body["reasoning_effort"] == "high"
    assert body["messages"] == [
        {"role": "developer", "content": INSTRUCTIONS},
        {"role": "user", "content": "What could break here?"},
    ]
    assert len(standin.requests) == 1
