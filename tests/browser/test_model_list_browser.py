"""The gateway's model list in the pickers, in headless Chromium against the stand-in: a model
only the gateway lists is picked and sent; models that cannot chat are not offered; the admin's
hidden and extra ids; and each way the list can fail falls back quietly, custom ids still typed."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import AppServer, app_env
from tests.browser.helpers import rerun, send

pytestmark = pytest.mark.browser

NOT_CHAT = (
    "text-embedding-3-small",
    "dall-e-3",
    "gpt-image-1",
    "tts-1",
    "whisper-1",
    "omni-moderation-latest",
)
CONFIGURED = ["o4-mini", "gpt-4o", "gpt-4o-mini", "o3"]  # GPTPROTO_MODELS's default


def _server(standin, tmp_path, **settings: str) -> AppServer:
    env = app_env(GPTPROTO_BASE_URL=standin.base_url, GPTPROTO_API_KEY=standin.api_key, **settings)
    return AppServer(env, tmp_path).start()


@pytest.fixture
def hiding_server(standin, tmp_path) -> Iterator[AppServer]:
    server = _server(
        standin,
        tmp_path,
        GPTPROTO_MODELS_HIDDEN="gpt-4.1-nano,claude-*",
        GPTPROTO_MODELS_EXTRA="house-model,whisper-1",
    )
    yield server
    server.stop()


def _model_select(page: Page) -> Locator:
    return page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").filter(has_text="Model").first


def _open_options(page: Page) -> list[str]:
    """Open the chat sidebar's model list and read every option it offers."""
    _model_select(page).click()
    options = page.get_by_role("option")
    expect(options.first).to_be_visible()
    return [text.strip() for text in options.all_inner_texts()]


def _pick(page: Page, label: str) -> None:
    page.get_by_role("option", name=label, exact=True).click()


def _ready_for(page: Page, model: str) -> None:
    expect(page.get_by_placeholder(re.compile(f"^Message {re.escape(model)}…"))).to_be_visible()


def test_a_model_only_the_gateway_lists_is_offered_by_family_and_sent(page: Page, app_server, standin):
    page.goto(app_server.url)
    offered = _open_options(page)
    # The configured favourites first, then the gateway's chat models by family.
    assert offered == [
        *CONFIGURED,
        "GPT-4.1 · gpt-4.1",
        "GPT-4.1 · gpt-4.1-nano",
        "Claude · claude-sonnet-4-5",
        "Gemini · gemini-2.5-flash",
        "Custom model id…",
    ]
    assert not [label for label in offered if any(model in label for model in NOT_CHAT)]
    _pick(page, "GPT-4.1 · gpt-4.1-nano")
    _ready_for(page, "gpt-4.1-nano")
    expect(page.get_by_text("128,000-token context · no price set", exact=True)).to_be_visible()
    send(page, "Hello from the picker")
    expect(page.get_by_test_id("stChatMessage")).to_have_count(2)
    assert standin.wait_for_requests(1)[-1].body["model"] == "gpt-4.1-nano"
    assert len(standin.listings) == 1
    assert standin.listings[0].headers["authorization"] == f"Bearer {standin.api_key}"


def test_the_picker_is_searched_by_family(page: Page, app_server):
    page.goto(app_server.url)
    _model_select(page).click()
    page.keyboard.type("claude")
    expect(page.get_by_role("option")).to_have_text(["Claude · claude-sonnet-4-5"])
    page.keyboard.press("Enter")
    _ready_for(page, "claude-sonnet-4-5")


def test_compare_offers_the_same_list(page: Page, app_server, standin):
    page.goto(app_server.url)
    page.get_by_role("link", name="Compare models").click()
    box = page.get_by_placeholder(re.compile("Ask every model at once"))
    expect(box).to_be_visible()
    page.get_by_test_id("stMultiSelect").locator("input").click()
    options = page.get_by_role("option")
    expect(options.first).to_be_visible()
    offered = [text.strip() for text in options.all_inner_texts()]
    # the two picked (o4-mini, gpt-4o) are chips, not options; "Select all" is Streamlit's own
    assert offered == [
        "Select all",
        "gpt-4o-mini",
        "o3",
        "GPT-4.1 · gpt-4.1",
        "GPT-4.1 · gpt-4.1-nano",
        "Claude · claude-sonnet-4-5",
        "Gemini · gemini-2.5-flash",
    ]
    _pick(page, "Claude · claude-sonnet-4-5")
    page.keyboard.press("Escape")
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text(re.compile(r"^claude-sonnet-4-5: 128,000-token context"))).to_be_visible()
    box.fill("Say hello.")
    box.press("Enter")
    requests = standin.wait_for_requests(3, timeout=30)
    assert sorted(request.body["model"] for request in requests) == ["claude-sonnet-4-5", "gpt-4o", "o4-mini"]


def test_the_admin_hides_and_adds_ids(page: Page, hiding_server, standin):
    page.goto(hiding_server.url)
    offered = _open_options(page)
    assert offered == [
        *CONFIGURED,
        "GPT-4.1 · gpt-4.1",
        "Gemini · gemini-2.5-flash",
        "Other · house-model",
        "Other · whisper-1",  # added by the admin though it looks like no chat model
        "Custom model id…",
    ]
    _pick(page, "Other · house-model")
    _ready_for(page, "house-model")
    send(page, "Hello, house model")
    assert standin.wait_for_requests(1)[-1].body["model"] == "house-model"


FALLBACKS = {
    "404": "the gateway has no model list (HTTP 404)",
    "401": "the gateway refused the key for its model list (HTTP 401)",
    "slow": "the gateway did not send its model list within 1 s",
    "malformed": "the model list is not valid JSON",
    "wrong-shape": 'the model list is not an object with "object": "list"',
}


@pytest.mark.parametrize("fault", sorted(FALLBACKS))
def test_a_list_that_cannot_be_read_falls_back_quietly(page: Page, standin, tmp_path, fault):
    standin.models_fault = fault
    server = _server(standin, tmp_path, GPTPROTO_CONNECT_TIMEOUT="1")
    try:
        page.goto(server.url)
        note = page.get_by_text(
            f"Showing the configured models: {FALLBACKS[fault]}. You can still type a custom model id.",
            exact=True,
        )
        expect(note).to_have_count(1)
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar.get_by_test_id("stAlert")).to_have_count(0)  # a caption, no error card
        assert _open_options(page) == [*CONFIGURED, "Custom model id…"]
        _pick(page, "Custom model id…")
        custom = page.get_by_label("Custom model id")
        custom.fill("my-custom-model")
        custom.press("Enter")
        _ready_for(page, "my-custom-model")
        rerun(page)
        expect(note).to_have_count(1)
        send(page, "Hello, custom model")
        assert standin.wait_for_requests(1)[-1].body["model"] == "my-custom-model"
        expect(page.get_by_test_id("stChatMessage")).to_have_count(2)
        expect(note).to_have_count(1)
        assert len(standin.listings) == 1  # the failure is remembered, not asked again per redraw
        assert standin.api_key not in page.content()
    finally:
        server.stop()
