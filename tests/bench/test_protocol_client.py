"""The load scenario's protocol client (bench/fleet_load/protocol.py) reads the same answer a
browser shows: one scripted answer, asked once in Chromium and once over the protocol."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from bench.fleet_load.protocol import ChatClient
from devtools.standin import Reply
from tests.browser.conftest import AppServer
from tests.browser.helpers import bubbles, send

pytestmark = pytest.mark.browser

# Plain paragraphs, so the markdown source and the rendered text are the same words; long enough
# that the app draws it in several blocks (finished paragraphs once, then the growing tail).
ANSWER = (
    "The stand-in streams this answer one word at a time, the way a model would produce it.\n\n"
    "A browser draws every paragraph as it is finished and keeps redrawing the last one while it grows, "
    "so the page shows the whole text only once the stream has ended.\n\n"
    "The protocol client reads the very same messages from the websocket, without a browser, and puts "
    "the paragraphs back together in the order the page shows them.\n\n"
    "This closing paragraph is the last line of the answer."
)
LAST_LINE = "This closing paragraph is the last line of the answer."

# The answer's markdown, as the page shows it: inside the bubble's own container (a status line,
# the usage caption and the buttons sit elsewhere in the bubble).
ANSWER_TEXT_JS = """
(bubble) => [...bubble.querySelectorAll(
  '[data-testid="stChatMessageContent"] [data-testid="stVerticalBlock"] [data-testid="stVerticalBlock"]'
  + ' [data-testid="stMarkdown"] [data-testid="stMarkdownContainer"]')]
  .map((node) => node.innerText.trim()).filter((text) => text).join('\\n\\n')
"""


def _last_user_message(body: dict) -> str:
    return next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")


def test_the_protocol_client_reads_the_answer_the_browser_shows(page: Page, app_server: AppServer, standin):
    standin.default = Reply(text=ANSWER, chunk_delay=0.01, first_token_delay=0.05)

    page.goto(app_server.url)
    send(page, "Asked in the browser")
    answer_bubble = bubbles(page).nth(1)
    expect(answer_bubble.get_by_text(LAST_LINE)).to_be_visible(timeout=30_000)
    expect(answer_bubble.get_by_role("button", name="Stop")).to_have_count(0)  # the stream has ended
    in_browser = answer_bubble.evaluate(ANSWER_TEXT_JS)

    with ChatClient(app_server.url, timeout=30) as client:
        over_protocol = client.ask("Asked over the protocol", final_line=LAST_LINE)

    assert over_protocol.error is None
    assert over_protocol.final_text_at is not None and over_protocol.bytes > 0
    assert in_browser == ANSWER
    assert over_protocol.text == ANSWER
    prompts = [_last_user_message(r.body) for r in standin.requests if r.path.endswith("/chat/completions")]
    assert prompts == ["Asked in the browser", "Asked over the protocol"]
