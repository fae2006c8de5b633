"""What the app's /media URLs give away, in Chromium against serve.py: an export is made when its
button is clicked and its URL serves it to that click only; an image in a chat is served with the
app's security headers."""

from __future__ import annotations

import http.client
import io
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from devtools.standin import Reply
from tests.browser.conftest import AppServer
from tests.browser.helpers import send

pytestmark = pytest.mark.browser


def fetch(url: str) -> tuple[int, bytes]:
    """GET `url` as another client would: a new connection, no cookie, no session."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    try:
        connection.request("GET", parts.path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_an_export_is_made_at_the_click_and_its_url_serves_it_once(
    page: Page, app_server: AppServer, standin
):
    standin.enqueue(Reply(text="Pack light, leave early."))
    page.goto(app_server.url)
    send(page, "Holiday plans")
    expect(page.get_by_text("Pack light, leave early.")).to_be_visible()
    page.get_by_role("link", name="Conversations").first.click()
    page.get_by_role("button", name="Export").click()
    as_json = page.get_by_role("button", name="JSON (can be imported)")

    with page.expect_download() as first:
        as_json.click()
    exported = json.loads(Path(first.value.path()).read_text())
    assert exported["title"] == "Holiday plans"
    assert [m["text"] for m in exported["messages"]] == ["Holiday plans", "Pack light, leave early."]
    assert urlsplit(first.value.url).path.startswith("/media/")
    # The click's own download took the file: its URL no longer serves it to anyone else.
    assert fetch(first.value.url) == (404, b"File not found")

    with page.expect_download() as second:
        as_json.click()
    again = json.loads(Path(second.value.path()).read_text())
    assert again["title"] == "Holiday plans"
    assert again["exported_at"] > exported["exported_at"]  # made at this click, not at the page's run
    assert fetch(second.value.url)[0] == 404


def test_an_image_in_a_chat_is_served_with_the_security_headers(
    page: Page, app_server: AppServer, standin, tmp_path
):
    image = tmp_path / "green.png"
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), (30, 160, 90)).save(buffer, format="PNG")
    image.write_bytes(buffer.getvalue())
    standin.enqueue(Reply(text="A green rectangle."))
    page.goto(app_server.url)
    with page.expect_response(lambda response: "/_stcore/upload_file/" in response.url):
        with page.expect_file_chooser() as chooser:
            page.get_by_test_id("stChatInputFileUploadButton").click()
        chooser.value.set_files(str(image))
    with page.expect_response(lambda response: "/media/" in response.url) as shown:
        send(page, "What colour is this?")
    expect(page.get_by_text("A green rectangle.")).to_be_visible()

    headers = shown.value.headers
    assert shown.value.status == 200 and headers["content-type"] == "image/jpeg"  # re-encoded to send
    assert headers["x-frame-options"] == "DENY"
    assert headers["content-security-policy"] == "frame-ancestors 'none'"
    assert headers["x-content-type-options"] == "nosniff"
