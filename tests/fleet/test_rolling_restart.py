"""A restart nobody notices: two replicas behind Caddy (scripts/fleet.sh) restarted one after the
other (SIGHUP) while a browser on each has an answer streaming.

The replica restarted first drains: its answer (a few seconds long) finishes inside the grace,
then the replica stops and its browser reconnects by itself to the other one. The second
replica's answer is a minute long: when the grace runs out it is saved whole, marked interrupted,
and its browser reconnects to the restarted first replica, where Retry answers. Nothing stored
is lost: each conversation, reopened afterwards, holds every prompt and answer.

The time each browser spent disconnected is measured in the browser (tests/reconnecting.py); the
figures are logged (`-o log_cli=true` shows them) and recorded as a property."""

from __future__ import annotations

import logging
import re
import signal

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from devtools.standin import Reply
from tests.fleet.conftest import Fleet, Replica, alive, fleet_env
from tests.reconnecting import Reconnections
from tests.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.timeout(600)]

PATIENCE = 45_000
GRACE_S = 8
REPLICA = "x-gptproto-replica"
WORD = re.compile(r"\bw\d+\b")


def _context_on(browser: Browser, fleet: Fleet, replica: Replica) -> BrowserContext:
    """A browser that the proxy placed on `replica` (new browsers are placed at random)."""
    for _ in range(30):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        if context.request.get(fleet.url).headers[REPLICA] == replica.address:
            return context
        context.close()
    raise AssertionError(f"30 new browsers all missed {replica.address}")


def _open(context: BrowserContext, url: str) -> tuple[Page, Reconnections]:
    page = context.new_page()
    page.set_default_timeout(PATIENCE)
    watch = Reconnections(page)
    page.goto(url)
    expect(page.get_by_test_id("stChatInputTextArea")).to_be_visible(timeout=PATIENCE)
    watch.record()
    return page, watch


def _send(page: Page, text: str) -> None:
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(text)
    box.press("Enter")


def _answer_words(page: Page) -> list[str]:
    return WORD.findall(page.get_by_test_id("stChatMessage").nth(1).inner_text())


def test_a_rolling_restart_finishes_or_keeps_every_answer_and_the_pages_reconnect(
    fleet_factory, standin, browser: Browser, tmp_path, record_property
):
    short = " ".join(f"w{i}" for i in range(150))  # ~5 s at 30 ms a word: inside the grace
    long = " ".join(f"w{i}" for i in range(3000))  # a minute: past it
    standin.enqueue(
        Reply(text=short, chunk_delay=0.03),
        Reply(text=long, chunk_delay=0.02),
        Reply(text="Short one, continued."),
        Reply(text="Long one, retried."),
    )
    env = fleet_env(
        GPTPROTO_BASE_URL=standin.base_url,
        GPTPROTO_API_KEY=standin.api_key,
        GPTPROTO_SHUTDOWN_GRACE=str(GRACE_S),
    )
    fleet = fleet_factory(2, env)
    first, second = fleet.replicas
    page_a, watch_a = _open(_context_on(browser, fleet, first), fleet.url)
    page_b, watch_b = _open(_context_on(browser, fleet, second), fleet.url)

    _send(page_a, "A short answer")
    expect(page_a.get_by_text(re.compile(r"\bw5\b"))).to_be_visible(timeout=PATIENCE)
    _send(page_b, "A long answer")
    expect(page_b.get_by_text(re.compile(r"\bw5\b"))).to_be_visible(timeout=PATIENCE)
    url_a, url_b = page_a.url, page_b.url

    fleet.process.send_signal(signal.SIGHUP)  # the rolling restart: the first replica, then the second
    fleet.next_line(r"restarted replica 1 \S+ pid \d+", timeout=120)
    assert not alive(first.pid)
    # The first replica let its answer finish before it stopped; its browser moved on by itself.
    expect(page_a.get_by_text(re.compile(r"w148 w149$"))).to_be_visible(timeout=PATIENCE)
    assert wait_until(lambda: len(watch_a.outages()) == 1, timeout=60), str(watch_a.changes())
    shown_b_before = len(_answer_words(page_b))
    fleet.next_line("rolled", timeout=180)
    assert not alive(second.pid)

    # Page A lost its second replica too; page B lost its own, whose answer was past the grace:
    # kept whole, marked interrupted, shown by the restarted first replica.
    assert wait_until(lambda: watch_a.ran_since_reconnecting(2), timeout=60), str(watch_a.changes())
    assert wait_until(lambda: watch_b.ran_since_reconnecting(1), timeout=60), str(watch_b.changes())
    expect(page_b.get_by_text("The answer was interrupted")).to_be_visible(timeout=PATIENCE)
    kept = _answer_words(page_b)
    assert kept[:3] == ["w0", "w1", "w2"] and len(kept) >= shown_b_before, (len(kept), shown_b_before)
    page_b.screenshot(path=str(tmp_path / "interrupted-then-reconnected.png"), full_page=True)

    # Both pages go on where they were, on the new replicas.
    expect(page_a.get_by_text("The answer was interrupted")).to_have_count(0)
    _send(page_a, "And then?")
    expect(page_a.get_by_text("Short one, continued.")).to_be_visible(timeout=PATIENCE)
    sent = [m["content"] for m in standin.requests[-1].body["messages"]]
    assert sent == ["A short answer", short, "And then?"]
    page_b.get_by_role("button", name="Retry").click()
    expect(page_b.get_by_text("Long one, retried.")).to_be_visible(timeout=PATIENCE)

    outages_a, outages_b = watch_a.outages(), watch_b.outages()
    figures = (
        f"rolling restart of 2 replicas (grace {GRACE_S} s): answers finished 1, interrupted 1; "
        f"time disconnected, page A: {', '.join(f'{s:.2f} s' for s in outages_a)}; "
        f"page B: {', '.join(f'{s:.2f} s' for s in outages_b)}"
    )
    record_property("figures", figures)
    logging.getLogger(__name__).info(figures)  # -o log_cli=true shows it
    assert all(seconds < 30 for seconds in outages_a + outages_b), (outages_a, outages_b)

    # Nothing stored was lost: reopened, each conversation holds every prompt and answer.
    for page, url, texts in (
        (page_a, url_a, ["A short answer", "And then?", "Short one, continued."]),
        (page_b, url_b, ["A long answer", "Long one, retried."]),
    ):
        page.goto(url)
        for text in texts:
            expect(page.get_by_text(text, exact=True)).to_be_visible(timeout=PATIENCE)
    expect(page_a.get_by_text(re.compile(r"^w0 w1 .* w149$"))).to_be_visible(timeout=PATIENCE)
    for page in (page_a, page_b):
        page.context.close()
