"""Conversations in the browser: they survive a reload and a server restart; regenerate and
edit-and-branch work from the message actions."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from devtools.standin import Reply
from tests.browser.conftest import AppServer

pytestmark = pytest.mark.browser


def _send(page: Page, text: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(text)
    box.press("Enter")


def _bubbles(page: Page):
    return page.get_by_test_id("stChatMessage")


def test_chat_survives_reload_and_server_restart(page: Page, app_server: AppServer, standin, tmp_path):
    standin.enqueue(Reply(text="Paris is the capital."), Reply(text="About 2.1 million people."))
    page.goto(app_server.url)
    _send(page, "Capital of France?")
    expect(page.get_by_text("Paris is the capital.")).to_be_visible()
    _send(page, "Population?")
    expect(page.get_by_text("About 2.1 million people.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"\?c=[0-9a-f]{32}"))
    url = page.url

    page.reload()
    expect(page.get_by_text("About 2.1 million people.")).to_be_visible()
    expect(_bubbles(page)).to_have_count(4)

    app_server.restart()
    page.goto(url)
    expect(page.get_by_text("Paris is the capital.")).to_be_visible()
    expect(_bubbles(page)).to_have_count(4)
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_role("button", name=re.compile("Capital of France"))).to_be_visible()
    page.screenshot(path=str(tmp_path / "conversation-restored.png"), full_page=True)


def test_regenerate_and_flip_between_answers(page: Page, app_server: AppServer, standin):
    standin.enqueue(Reply(text="Answer one."), Reply(text="Answer two."))
    page.goto(app_server.url)
    _send(page, "Tell me something")
    expect(page.get_by_text("Answer one.")).to_be_visible()
    page.get_by_role("button", name="Regenerate").click()
    expect(page.get_by_text("Answer two.")).to_be_visible()
    expect(page.get_by_role("button", name="2/2")).to_be_visible()
    page.get_by_role("button", name="chevron_left").last.click()
    expect(page.get_by_text("Answer one.")).to_be_visible()
    expect(page.get_by_text("Answer two.")).to_have_count(0)


def test_edit_a_prompt_branches_and_keeps_the_original(page: Page, app_server: AppServer, standin, tmp_path):
    standin.enqueue(Reply(text="Cats purr."), Reply(text="Dogs bark."))
    page.goto(app_server.url)
    _send(page, "Tell me about cats")
    expect(page.get_by_text("Cats purr.")).to_be_visible()
    _bubbles(page).first.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("textbox").fill("Tell me about dogs")
    dialog.get_by_role("button", name="Send edited message").click()
    expect(page.get_by_text("Dogs bark.")).to_be_visible()
    expect(page.get_by_text("Cats purr.")).to_have_count(0)
    assert standin.requests[-1].body["messages"] == [{"role": "user", "content": "Tell me about dogs"}]
    page.screenshot(path=str(tmp_path / "conversation-branch.png"), full_page=True)
    _bubbles(page).first.get_by_role("button", name="chevron_left").click()
    expect(page.get_by_text("Cats purr.")).to_be_visible()


def test_killing_the_server_mid_answer_keeps_the_prompt_and_the_checkpointed_text(
    page: Page, app_server: AppServer, standin, tmp_path
):
    words = " ".join(f"w{i}" for i in range(800))
    standin.enqueue(Reply(text="Earlier answer."), Reply(text=words, chunk_delay=0.02))
    page.goto(app_server.url)
    _send(page, "Earlier turn")
    expect(page.get_by_text("Earlier answer.")).to_be_visible()
    _send(page, "Write 800 words")
    expect(page.get_by_text(re.compile(r"\bw150\b"))).to_be_visible(timeout=20_000)
    url = page.url
    app_server.kill()
    app_server.start()
    page.goto(url)
    expect(page.get_by_text("Write 800 words")).to_be_visible()
    expect(page.get_by_text("Earlier answer.")).to_be_visible()
    expect(page.get_by_text("The answer was interrupted")).to_be_visible()
    answer = _bubbles(page).nth(3)
    expect(answer.get_by_text(re.compile(r"^w0 w1 w2"))).to_be_visible()
    page.screenshot(path=str(tmp_path / "after-kill.png"), full_page=True)
