"""What a run sends: its messages travel compressed (permessage-deflate), and once an answer has
streamed, the next run of the page sends the browser references to the elements it already holds
(the stored answer's blocks, the sidebar's controls) instead of their content again, and the
page still shows all of it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.frames import FrameCounter
from devtools.standin import Reply
from tests.browser.conftest import AppServer
from tests.browser.helpers import bubbles, rerun, send

pytestmark = pytest.mark.browser

ANSWER = "\n\n".join(
    f"Paragraph {index}: " + " ".join(f"word{index}x{count}" for count in range(40)) for index in range(6)
)


def _messages(frames: list[bytes]) -> list[ForwardMsg]:
    parsed = []
    for frame in frames:
        message = ForwardMsg()
        message.ParseFromString(frame)
        parsed.append(message)
    return parsed


def test_a_run_after_an_answer_sends_references_to_it_not_the_answer_again(
    page: Page, app_server: AppServer, standin
):
    standin.enqueue(Reply(text=ANSWER, chunk_delay=0.002))
    counter = FrameCounter()  # the frames the page receives, and each handshake's extensions
    counter.attach(page)
    page.goto(app_server.url)
    send(page, "Six paragraphs, please")
    assert counter.extensions and counter.extensions[0].startswith("permessage-deflate")
    answer = bubbles(page).nth(1)
    expect(answer.get_by_text("word5x39")).to_be_visible()
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning")

    counter.start()
    rerun(page)
    messages = _messages(counter.payloads)
    resent = [
        m.delta.new_element.markdown.body
        for m in messages
        if m.WhichOneof("type") == "delta" and m.delta.new_element.WhichOneof("type") == "markdown"
    ]
    assert not [body for body in resent if "word" in body]  # no paragraph of the answer came again
    assert sum(m.WhichOneof("type") == "ref_hash" for m in messages) >= 6  # one per paragraph, at least
    for index in range(6):  # and the page still shows every paragraph, in its bubble
        expect(answer.get_by_text(f"Paragraph {index}: word{index}x0")).to_be_visible()
