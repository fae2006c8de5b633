"""The chat page in headless Chromium: type, watch it stream, see usage and errors."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from devtools.standin import ErrorReply, Reply
from tests.browser.conftest import AppServer

pytestmark = pytest.mark.browser


def _send(page: Page, text: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(text)
    box.press("Enter")


def test_streamed_answer_and_usage_line(page: Page, app_server: AppServer, standin, tmp_path):
    standin.enqueue(
        Reply(
            text="## Plan\n\n- first item\n- second item\n\n```python\nprint('hi')\n```",
            chunk_delay=0.02,
            reasoning_tokens=5,
        )
    )
    page.goto(app_server.url)
    expect(page.get_by_text("GPTProto Chat")).to_be_visible()
    _send(page, "Make a plan")
    answer = page.get_by_test_id("stChatMessage").nth(1)
    expect(answer.get_by_role("heading", name="Plan")).to_be_visible()
    expect(answer.get_by_text("second item")).to_be_visible()
    expect(answer.locator("code").filter(has_text="print('hi')")).to_be_visible()
    expect(answer.get_by_text(re.compile(r"5 reasoning .*tokens/s"))).to_be_visible()
    page.screenshot(path=str(tmp_path / "chat-streamed.png"), full_page=True)
    assert standin.requests[-1].body["stream"] is True


def test_non_streamed_answer(page: Page, app_server: AppServer, standin):
    standin.enqueue(Reply(text="Non-streamed reply."))
    page.goto(app_server.url)
    page.get_by_text("Stream the answer").click()
    _send(page, "Hello")
    expect(page.get_by_text("Non-streamed reply.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"prompt · .* completion"))).to_be_visible()
    assert standin.requests[-1].body["stream"] is False


def test_401_message_keeps_the_prompt(page: Page, app_server: AppServer, standin, tmp_path):
    standin.enqueue(ErrorReply.unauthorized())
    page.goto(app_server.url)
    _send(page, "Who am I?")
    expect(page.get_by_text("The API key is missing or invalid")).to_be_visible()
    expect(page.get_by_test_id("stChatMessage").first.get_by_text("Who am I?")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Retry"))).to_be_visible()
    page.screenshot(path=str(tmp_path / "chat-401.png"), full_page=True)
    assert standin.api_key not in page.content()
