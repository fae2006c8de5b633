"""Two replicas behind Caddy, in Chromium: a conversation continues on whichever replica serves
the next session, the sticky cookie keeps a browser on its replica, and a replica killed
mid-answer costs only the rest of that answer.

Caddy adds `X-GPTProto-Replica: host:port` to every response in the fleet, so the tests see which
replica answered."""

from __future__ import annotations

import os
import re
import signal

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Response, expect

from devtools.standin import Reply
from tests.fleet.conftest import Fleet, alive, fleet_env
from tests.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.timeout(300)]

REPLICA = "x-gptproto-replica"
# Two replicas, Caddy, PostgreSQL and Chromium share two cores (with whatever else runs): a
# replica's first answer loads SQLAlchemy and the client, so waits are longer than in tests/browser.
PATIENCE = 30_000


def _send(page: Page, text: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(text)
    box.press("Enter")


def _bubbles(page: Page):
    return page.get_by_test_id("stChatMessage")


def _replica(response: Response | None) -> str:
    assert response is not None
    return response.headers[REPLICA]


def _context_on_another_replica(browser: Browser, fleet: Fleet, avoid: str) -> BrowserContext:
    """A fresh browser (no cookie) that the proxy placed on a replica other than `avoid`. New
    browsers are placed at random, so ask until one lands elsewhere (1 in 2**30 never does)."""
    for _ in range(30):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        if context.request.get(fleet.url).headers[REPLICA] != avoid:
            return context
        context.close()
    raise AssertionError(f"30 new browsers all landed on {avoid}")


@pytest.fixture
def gateway_env(standin) -> dict[str, str]:
    return fleet_env(GPTPROTO_BASE_URL=standin.base_url, GPTPROTO_API_KEY=standin.api_key)


def test_a_conversation_is_listed_and_continues_on_either_replica(
    fleet_factory, gateway_env, standin, browser: Browser, page: Page, tmp_path
):
    standin.enqueue(
        Reply(text="Paris is the capital."),
        Reply(text="About 2.1 million people."),
        Reply(text="The Seine."),
    )
    fleet = fleet_factory(2, gateway_env)
    answered_by: set[str] = set()
    page.on("response", lambda response: answered_by.add(response.headers.get(REPLICA, "none")))

    first = _replica(page.goto(fleet.url))
    _send(page, "Capital of France?")
    expect(page.get_by_text("Paris is the capital.")).to_be_visible(timeout=PATIENCE)
    expect(page).to_have_url(re.compile(r"\?c=[0-9a-f]{32}"))
    url = page.url

    assert _replica(page.reload()) == first
    listed = page.get_by_test_id("stSidebar").get_by_role("button", name=re.compile("Capital of France"))
    expect(listed).to_be_visible(timeout=PATIENCE)
    expect(page.get_by_text("Paris is the capital.")).to_be_visible(timeout=PATIENCE)
    _send(page, "Population?")
    expect(page.get_by_text("About 2.1 million people.")).to_be_visible(timeout=PATIENCE)
    # Every response this browser got (page, scripts, health, host config) came from one replica.
    assert answered_by == {first}

    other = _context_on_another_replica(browser, fleet, avoid=first)
    elsewhere = other.new_page()
    elsewhere.set_default_timeout(PATIENCE)
    second = _replica(elsewhere.goto(url))
    assert second != first and second in {r.address for r in fleet.replicas}
    expect(_bubbles(elsewhere)).to_have_count(4, timeout=PATIENCE)
    listed = elsewhere.get_by_test_id("stSidebar").get_by_role("button", name=re.compile("Capital of France"))
    expect(listed).to_be_visible(timeout=PATIENCE)
    _send(elsewhere, "Its river?")
    expect(elsewhere.get_by_text("The Seine.")).to_be_visible(timeout=PATIENCE)
    # The other replica sent the whole conversation, read back from the database.
    assert [m["content"] for m in standin.requests[-1].body["messages"]] == [
        "Capital of France?",
        "Paris is the capital.",
        "Population?",
        "About 2.1 million people.",
        "Its river?",
    ]
    elsewhere.screenshot(path=str(tmp_path / "continued-on-the-other-replica.png"), full_page=True)
    other.close()


def test_a_replica_killed_mid_answer_the_browser_moves_on_and_retry_works(
    fleet_factory, gateway_env, standin, page: Page, tmp_path
):
    # A minute of answer, so the kill lands mid-stream however slowly a loaded machine draws it.
    words = " ".join(f"w{i}" for i in range(3000))
    standin.enqueue(
        Reply(text="Earlier answer."), Reply(text=words, chunk_delay=0.02), Reply(text="Fresh answer.")
    )
    fleet = fleet_factory(2, gateway_env)
    serving = fleet.replica_at(_replica(page.goto(fleet.url)))
    survivor = next(r for r in fleet.replicas if r is not serving)
    _send(page, "Earlier turn")
    expect(page.get_by_text("Earlier answer.")).to_be_visible(timeout=PATIENCE)
    _send(page, "Write 3000 words")
    expect(page.get_by_text(re.compile(r"\bw150\b"))).to_be_visible(timeout=PATIENCE)
    url = page.url

    os.kill(serving.pid, signal.SIGKILL)  # as a crash or an OOM kill would: no cleanup runs
    assert wait_until(lambda: not alive(serving.pid))
    # The stream to the gateway died with the replica that ran it.
    long = next(r for r in standin.requests if r.body["messages"][-1]["content"] == "Write 3000 words")
    assert wait_until(lambda: long.client_disconnected), (
        long.chunks_sent,
        long.finished_at,
        len(standin.requests),
    )

    # Without a reload, the page reconnects through the proxy to the live replica, which opens
    # the conversation named in the URL.
    expect(page.get_by_text("The answer was interrupted")).to_be_visible(timeout=PATIENCE)
    expect(page.get_by_text("Earlier answer.")).to_be_visible(timeout=PATIENCE)
    expect(page.get_by_text("Write 3000 words")).to_be_visible(timeout=PATIENCE)
    expect(_bubbles(page).nth(3).get_by_text(re.compile(r"^w0 w1 w2"))).to_be_visible(timeout=PATIENCE)
    page.screenshot(path=str(tmp_path / "reconnected-after-the-kill.png"), full_page=True)

    # Opening the URL again lands on the survivor, with the same conversation.
    assert _replica(page.goto(url)) == survivor.address
    expect(page.get_by_text("Earlier turn", exact=True)).to_be_visible(timeout=PATIENCE)
    expect(page.get_by_text("The answer was interrupted")).to_be_visible(timeout=PATIENCE)
    expect(_bubbles(page).nth(3).get_by_text(re.compile(r"^w0 w1 w2"))).to_be_visible(timeout=PATIENCE)

    page.get_by_role("button", name="Retry").click()
    expect(page.get_by_text("Fresh answer.")).to_be_visible(timeout=PATIENCE)
    expect(page.get_by_text("The answer was interrupted")).to_have_count(0, timeout=PATIENCE)
    assert len(standin.requests) == 3
    assert [m["content"] for m in standin.requests[2].body["messages"]] == [
        "Earlier turn",
        "Earlier answer.",
        "Write 3000 words",
    ]
    # Nothing else was lost: after a reload the whole conversation is there.
    assert _replica(page.reload()) == survivor.address
    expect(page.get_by_text("Earlier answer.")).to_be_visible(timeout=PATIENCE)
    expect(page.get_by_text("Fresh answer.")).to_be_visible(timeout=PATIENCE)
    page.screenshot(path=str(tmp_path / "retried-on-the-survivor.png"), full_page=True)
