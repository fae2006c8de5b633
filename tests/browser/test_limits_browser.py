"""Per-user limits in the real app: two servers on one PostgreSQL count the same requests (as
replicas behind a proxy do), and an answer that ends before its usage arrives (Stop, a closed
tab, a killed process) still counts: never as 0."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from core.storage import UsageStore, database_url, make_engine, migrate
from core.usage_report import RequestRow
from devtools.standin import Reply
from tests.browser.conftest import AppServer, app_env, new_page
from tests.browser.helpers import bubbles, send
from tests.storage.conftest import POSTGRES_URL, drop_schema, postgres_engine
from tests.waiting import wait_until

pytestmark = pytest.mark.browser

LONG = " ".join(f"word{i}" for i in range(600))  # 30 s of answer at one word every 0.05 s


@pytest.fixture
def limited_server(standin, tmp_path) -> Iterator[AppServer]:
    """The app on its embedded SQLite with a daily budget of 300 tokens per person."""
    env = app_env(
        GPTPROTO_BASE_URL=standin.base_url,
        GPTPROTO_API_KEY=standin.api_key,
        GPTPROTO_LIMIT_TOKENS_PER_DAY="300",
    )
    server = AppServer(env, tmp_path).start()
    yield server
    server.stop()


def request_log(tmp_path) -> list[RequestRow]:
    """The app's request log, oldest first (the database made now if the app has not yet)."""
    engine = make_engine(database_url(str(tmp_path / "data"), None))
    try:
        migrate(engine)
        return UsageStore(engine).requests_since(datetime.now(UTC) - timedelta(hours=1))[::-1]
    finally:
        engine.dispose()


def settled(tmp_path, count: int) -> list[RequestRow]:
    """The log once it holds `count` requests, none of them still in flight."""
    assert wait_until(
        lambda: len(rows := request_log(tmp_path)) == count and all(r.status != "sent" for r in rows),
        timeout=20,
    ), request_log(tmp_path)
    return request_log(tmp_path)


def start_long_answer(page: Page, prompt: str, answer_index: int) -> None:
    """Send `prompt` and wait until its answer (bubble `answer_index`) shows its 21st word."""
    send(page, prompt)
    # The first request of a fresh server loads the client: on a busy machine, seconds.
    expect(bubbles(page).nth(answer_index).get_by_text(re.compile(r"word20\b"))).to_be_visible(timeout=30_000)


def test_stopping_answers_again_and_again_uses_up_the_daily_tokens_until_refused(
    browser: Browser, limited_server: AppServer, standin, tmp_path
):
    page = new_page(browser)
    page.goto(limited_server.url)
    stops = 0
    # Each stopped answer counts its prompt and its text (at least 21 words, 35 tokens) and the
    # prompts grow with the conversation: the 300-token budget is used up within a few.
    while sum(row.total_tokens for row in request_log(tmp_path)) < 300:
        assert stops < 8, f"still not refused after {stops} stopped answers: {request_log(tmp_path)}"
        standin.enqueue(Reply(text=LONG, chunk_delay=0.05))
        start_long_answer(page, f"Write a lot, take {stops + 1}", 2 * stops + 1)
        page.get_by_role("button", name="Stop").click()
        stops += 1
        stopped = settled(tmp_path, stops)[-1]
        assert stopped.prompt_tokens > 0 and stopped.completion_tokens >= 35  # 0 and 0 before
        assert stopped.status == "stopped" and stopped.estimated
    assert stops >= 2  # more than one answer fitted: each counted what it used, not its hold
    send(page, "One more")
    expect(page.get_by_text("Daily token budget of 300 tokens used", exact=False)).to_be_visible()
    expect(page.get_by_test_id("stChatInputTextArea")).to_have_value("One more")
    assert len(standin.requests) == stops


def answering(browser: Browser, server: AppServer, standin) -> Page:
    """A fresh tab on `server` whose "Write a lot" is being answered (21 words in)."""
    standin.enqueue(Reply(text=LONG, chunk_delay=0.05))
    page = new_page(browser)
    page.goto(server.url)
    start_long_answer(page, "Write a lot", 1)
    return page


def test_closing_the_tab_mid_answer_records_what_was_streamed(
    browser: Browser, limited_server: AppServer, standin, tmp_path
):
    answering(browser, limited_server, standin).context.close()
    assert wait_until(lambda: standin.requests[0].client_disconnected, timeout=20)
    assert standin.requests[0].chunks_sent < 600
    [row] = settled(tmp_path, 1)
    # "Write a lot": 11 characters, 3 tokens, and 4 for the message. At least "word0 " to
    # "word20 " had arrived: 10 × 6 + 11 × 7 = 137 characters, 35 tokens. Before, 0 was logged.
    assert row.completion_tokens >= 35 and row.total_tokens == 7 + row.completion_tokens
    assert (row.status, row.prompt_tokens, row.estimated) == ("stopped", 7, True)


def test_closing_the_tab_mid_compare_records_every_columns_stream(
    browser: Browser, limited_server: AppServer, standin, tmp_path
):
    for model in ("o4-mini", "gpt-4o"):  # the two models Compare starts with
        standin.enqueue_for(model, Reply(text=LONG, chunk_delay=0.05))
    page = new_page(browser)
    page.goto(limited_server.url)
    page.get_by_role("link", name="Compare models").click()
    box = page.get_by_placeholder(re.compile("Ask every model at once"))
    expect(box).to_be_visible()
    # Each column holds 7 + 200 tokens: the second starts at 207, under the 300-token budget.
    max_tokens = page.get_by_role("textbox", name="Max completion tokens")
    max_tokens.fill("200")
    max_tokens.press("Enter")
    expect(max_tokens).to_have_value("200")
    box.fill("Write a lot")
    box.press("Enter")
    columns = page.get_by_test_id("stColumn")
    for index in (0, 1):
        expect(columns.nth(index).get_by_text(re.compile(r"word20\b"))).to_be_visible()
    page.context.close()
    rows = settled(tmp_path, 2)
    # Each column: the prompt's 7 tokens and at least "word0 " to "word20 " (35 tokens).
    assert sorted(row.model for row in rows) == ["gpt-4o", "o4-mini"]
    for row in rows:
        assert row.completion_tokens >= 35
        assert (row.status, row.page, row.prompt_tokens, row.estimated) == ("stopped", "compare", 7, True)


def test_a_process_killed_mid_answer_leaves_its_hold_counted_and_settled_once_it_cannot_stream(
    browser: Browser, limited_server: AppServer, standin, tmp_path
):
    answering(browser, limited_server, standin)
    limited_server.kill()
    [row] = request_log(tmp_path)
    # Held from before the request left: the prompt's 7 tokens and the default 4,096.
    assert (row.status, row.prompt_tokens, row.completion_tokens, row.total_tokens) == (
        "sent",
        7,
        4_096,
        4_103,
    )
    assert row.estimated
    engine = make_engine(database_url(str(tmp_path / "data"), None))
    try:
        usage = UsageStore(engine, timedelta(seconds=660))  # the default 600 s total timeout, and a minute
        # Two minutes on it could still be streaming, so it holds its place in the rate.
        assert usage.windows(row.created_at + timedelta(seconds=120))["local"].requests_last_minute == 1
        gone = row.created_at + timedelta(seconds=661)  # it can no longer be streaming
        assert usage.windows(gone)["local"].requests_last_minute == 0
        assert usage.settle_stale(gone) == 1
    finally:
        engine.dispose()
    [dead] = request_log(tmp_path)
    assert (dead.status, dead.error_kind, dead.total_tokens, dead.estimated) == (
        "incomplete",
        "incomplete",
        4_103,
        True,
    )


@pytest.fixture
def two_servers(standin, tmp_path) -> Iterator[tuple[AppServer, AppServer]]:
    schema = f"limits_{uuid.uuid4().hex[:12]}"
    postgres_engine(schema).dispose()
    env = app_env(
        GPTPROTO_BASE_URL=standin.base_url,
        GPTPROTO_API_KEY=standin.api_key,
        DATABASE_URL=f"{POSTGRES_URL}?options=-csearch_path%3D{schema}",
        GPTPROTO_LIMIT_REQUESTS_PER_MINUTE="2",
    )
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = AppServer(env, tmp_path / "a").start()
    second = AppServer(env, tmp_path / "b").start()
    yield first, second
    first.stop()
    second.stop()
    drop_schema(schema)


@pytest.mark.postgres
def test_two_processes_share_one_rate_limit(browser: Browser, two_servers, standin):
    first, second = two_servers
    standin.enqueue(Reply(text="Answer one."), Reply(text="Answer two."), Reply(text="Never sent."))
    on_first = browser.new_context().new_page()
    on_first.goto(first.url)
    send(on_first, "one")
    expect(on_first.get_by_text("Answer one.")).to_be_visible()
    send(on_first, "two")
    expect(on_first.get_by_text("Answer two.")).to_be_visible()

    on_second = browser.new_context().new_page()
    on_second.goto(second.url)
    send(on_second, "three")
    expect(on_second.get_by_text("Rate limit: 2 requests per minute reached", exact=False)).to_be_visible()
    expect(on_second.get_by_test_id("stChatInputTextArea")).to_have_value("three")
    assert len(standin.requests) == 2
