"""When the gateway misbehaves, in the browser: Stop ends the stream and closes the connection;
faults show their message with the partial text kept and a working Retry."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from devtools.standin import Reply
from tests.browser.conftest import AppServer
from tests.waiting import wait_until

pytestmark = pytest.mark.browser

LONG = " ".join(f"word{i}" for i in range(600))


def _send(page: Page, text: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(text)
    box.press("Enter")


def test_stop_ends_the_stream_closes_the_connection_and_keeps_the_partial_answer(
    page: Page, app_server: AppServer, standin, tmp_path
):
    standin.enqueue(Reply(text=LONG, chunk_delay=0.03), Reply(text="Fresh answer."))
    page.goto(app_server.url)
    _send(page, "Write a lot")
    expect(page.get_by_text(re.compile("word20"))).to_be_visible()
    page.get_by_role("button", name="Stop").click()
    assert wait_until(lambda: standin.requests[0].client_disconnected)
    sent = standin.requests[0].chunks_sent
    assert sent < 600
    expect(page.get_by_text(re.compile("stopped", re.IGNORECASE)).first).to_be_visible()
    expect(page.get_by_role("button", name="Continue")).to_be_visible()
    page.screenshot(path=str(tmp_path / "stopped.png"), full_page=True)
    answer = page.get_by_test_id("stChatMessage").nth(1)
    expect(answer.get_by_text(re.compile("word10"))).to_be_visible()
    page.get_by_role("button", name="Retry").click()
    expect(page.get_by_text("Fresh answer.")).to_be_visible()
    assert len(standin.requests) == 2


def test_slow_first_token_shows_waiting_with_elapsed_time(page: Page, app_server: AppServer, standin):
    standin.enqueue(Reply(text="Thought hard.", first_token_delay=2.0))
    page.goto(app_server.url)
    _send(page, "Think")
    expect(page.get_by_text(re.compile(r"Waiting for o4-mini… \d"))).to_be_visible()
    expect(page.get_by_text("Thought hard.")).to_be_visible()
    expect(page.get_by_text(re.compile("Waiting for"))).to_have_count(0)


def test_retry_countdown_is_shown_and_stop_cancels_it(page: Page, app_server: AppServer, standin):
    from devtools.standin import ErrorReply

    retry_after = 4  # long enough to press Stop during the countdown, short enough to wait past
    standin.enqueue(ErrorReply.rate_limited(retry_after=retry_after), Reply(text="never sent"))
    page.goto(app_server.url)
    _send(page, "Busy?")
    expect(
        page.get_by_text(re.compile(r"Rate limited.*Retrying \(attempt 2 of \d\) in \d+ s"))
    ).to_be_visible()
    page.get_by_role("button", name="Stop").click()
    expect(page.get_by_role("button", name="Retry")).to_be_visible()
    # The cancelled retry was due retry_after seconds after the 429 went out: wait until well past
    # that moment (ending early if a request does arrive), then check none did.
    rate_limited = standin.requests[0]
    assert rate_limited.finished_at is not None
    due = rate_limited.finished_at + retry_after
    assert time.monotonic() < due, "Stop was pressed after the retry was due; the check proves nothing"
    assert not wait_until(lambda: len(standin.requests) > 1, timeout=due + 2.0 - time.monotonic())
    assert len(standin.requests) == 1
