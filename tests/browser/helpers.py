"""What a person does on the chat page, for the browser tests."""

from __future__ import annotations

from playwright.sync_api import Locator, Page


def send(page: Page, text: str) -> None:
    """Type a prompt into the chat input and press Enter."""
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(text)
    box.press("Enter")


def bubbles(page: Page) -> Locator:
    """Every chat bubble on the page."""
    return page.get_by_test_id("stChatMessage")
