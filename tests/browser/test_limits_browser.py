"""Per-user limits hold across app processes: two servers on one PostgreSQL count the same
requests (as replicas behind a proxy do)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from devtools.standin import Reply
from tests.browser.conftest import AppServer, app_env
from tests.browser.helpers import send
from tests.storage.conftest import POSTGRES_URL, drop_schema, postgres_engine

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


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
