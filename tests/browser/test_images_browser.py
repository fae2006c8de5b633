"""Attaching images through the chat input's own file chooser, in headless Chromium."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from devtools.standin import Reply
from tests.browser.conftest import AppServer

pytestmark = pytest.mark.browser


def _attach(page: Page, path: Path) -> None:
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("stChatInputFileUploadButton").click()
    chooser.value.set_files(str(path))


def _png(path: Path) -> Path:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), (30, 160, 90)).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def test_attached_png_shows_as_thumbnail_and_reaches_the_gateway(
    page: Page, app_server: AppServer, standin, tmp_path
):
    standin.enqueue(Reply(text="A green rectangle."))
    page.goto(app_server.url)
    with page.expect_response(lambda response: "/_stcore/upload_file/" in response.url):
        _attach(page, _png(tmp_path / "green.png"))  # Enter before the upload ends sends nothing
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill("What colour is this?")
    box.press("Enter")
    expect(page.get_by_text("A green rectangle.")).to_be_visible()
    user_bubble = page.get_by_test_id("stChatMessage").first
    expect(user_bubble.locator("img")).to_have_count(1)
    expect(user_bubble.get_by_text("green.png")).to_be_visible()
    page.screenshot(path=str(tmp_path / "chat-image.png"), full_page=True)
    content = standin.requests[-1].body["messages"][-1]["content"]
    assert content[0] == {"type": "text", "text": "What colour is this?"}
    assert content[1]["image_url"]["url"].startswith("data:image/png;base64,")


def test_corrupt_file_shows_its_message_and_the_text_stays(
    page: Page, app_server: AppServer, standin, tmp_path
):
    broken = tmp_path / "broken.png"
    broken.write_bytes(_png(tmp_path / "ok.png").read_bytes()[:90])
    page.goto(app_server.url)
    with page.expect_response(lambda response: "/_stcore/upload_file/" in response.url):
        _attach(page, broken)  # Enter before the upload ends sends nothing
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill("Keep this text")
    box.press("Enter")
    expect(page.get_by_text("broken.png is corrupt or truncated")).to_be_visible()
    expect(page.get_by_test_id("stChatInputTextArea")).to_have_value("Keep this text")
    assert standin.requests == []
