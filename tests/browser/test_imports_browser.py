"""Hostile files uploaded in headless Chromium: a YAML prompt set with a number Python cannot
parse, or with a key given twice, and a conversation export with a key given twice, are each
refused on the page with what is wrong and what to do, and nothing is imported."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import AppServer

pytestmark = pytest.mark.browser

HEAD = b"format: gptproto-chat.prompt-set\nversion: 1\nname: Hostile\nprompts:\n- text: x\n"


def upload(page: Page, label: str, name: str, raw: bytes) -> None:
    """Give the labelled file uploader one file, then press the Import button beside it."""
    uploader = page.get_by_test_id("stFileUploader").filter(has_text=label)
    uploader.locator("input[type=file]").set_input_files(
        {"name": name, "mimeType": "text/plain", "buffer": raw}
    )
    expect(uploader.get_by_text(name)).to_be_visible()
    page.get_by_role("button", name="Import", exact=True).click()


def test_hostile_prompt_sets_are_refused_on_the_compare_page(page: Page, app_server: AppServer):
    page.goto(app_server.url)
    page.get_by_role("link", name="Compare models").click()
    page.get_by_text(re.compile("^Prompt sets: write a new prompt set")).click()

    upload(page, "Import a prompt set", "digits.yaml", HEAD + b"  count: " + b"9" * 5000 + b"\n")
    refusal = page.get_by_text("digits.yaml was not imported: prompts[0].count: 9999")
    expect(refusal).to_contain_text("has more than 18 digits")
    expect(refusal).to_contain_text("Check the file, or export it again from this app.")

    upload(page, "Import a prompt set", "twice.yml", HEAD + b"  text: y\n")
    expect(
        page.get_by_text(
            'twice.yml was not imported: prompts[0]: the key "text" appears twice (line 6, column 3)'
        )
    ).to_contain_text("Keep one of them.")
    page.reload()  # the sets are listed from storage as the page loads
    expect(page.get_by_text("Write a prompt set below (or import one)")).to_be_visible()


def test_a_conversation_with_a_repeated_key_is_refused_on_the_conversations_page(
    page: Page, app_server: AppServer
):
    page.goto(app_server.url)
    page.get_by_role("link", name="Conversations").click()
    page.get_by_text("Import a conversation or comparison (JSON export)").click()
    raw = (
        b'{"format": "gptproto-chat.conversation", "version": 1, "params": {"model": "o3"}, '
        b'"messages": [{"id": "p1", "role": "user", "text": "Hi", "text": "Bye"}]}'
    )
    upload(page, "JSON export", "twice.json", raw)
    expect(
        page.get_by_text('twice.json was not imported: messages[0]: the key "text" appears twice')
    ).to_contain_text("Keep one of them.")
    page.reload()  # the list is read from storage as the page loads
    expect(page.get_by_text("No conversations yet.")).to_be_visible()
