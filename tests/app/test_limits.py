"""Per-user limits and the request log, end to end on the chat page: what the stand-in received
is what the log and the admin page show, and over a limit nothing is sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from components.state import chat as chat_state
from core.storage import UsageStore, database_url, make_engine
from devtools.standin import Reply
from tests.app.helpers import APP, bubble_texts, errors, open_page, send, shown_messages, start_app


def request_log(tmp_path) -> list:
    engine = make_engine(database_url(str(tmp_path / "data"), None))
    try:
        return UsageStore(engine).requests_since(datetime.now(UTC) - timedelta(hours=1))
    finally:
        engine.dispose()


def test_every_request_is_recorded_with_what_the_gateway_reported(gateway_env, tmp_path):
    gateway_env.enqueue(
        Reply(text="Logged answer.", prompt_tokens=11, completion_tokens=42, reasoning_tokens=5)
    )
    send(start_app(), "Log this")
    [row] = request_log(tmp_path)
    assert (row.user_id, row.model, row.page, row.status) == ("local", "o4-mini", "chat", "complete")
    assert (row.prompt_tokens, row.completion_tokens, row.reasoning_tokens) == (11, 42, 5)
    assert row.request_id == "req_standin_000001"  # the x-request-id the stand-in sent
    assert row.latency_s is not None and row.first_token_s is not None


def test_over_the_rate_limit_nothing_is_sent_and_the_prompt_stays(gateway_env, monkeypatch, tmp_path):
    monkeypatch.setenv("GPTPROTO_LIMIT_REQUESTS_PER_MINUTE", "2")
    gateway_env.enqueue(Reply(text="One."), Reply(text="Two."))
    at = start_app()
    send(at, "first")
    send(at, "second")
    send(at, "third")
    assert len(gateway_env.requests) == 2
    assert "Rate limit: 2 requests per minute reached" in errors(at)
    assert "Try again in" in errors(at)
    assert at.chat_input(key=chat_state.INPUT).value == "third"
    assert [text for _, text in bubble_texts(at)] == ["first", "One.", "second", "Two."]
    assert len(request_log(tmp_path)) == 2


def test_a_retry_over_the_limit_keeps_the_message_and_names_the_limit(gateway_env, monkeypatch):
    monkeypatch.setenv("GPTPROTO_LIMIT_REQUESTS_PER_MINUTE", "1")
    gateway_env.enqueue(Reply(text="Only one."))
    at = send(start_app(), "ask once")
    at.button(key=chat_state.action_key("retry", shown_messages(at)[-1].id)).click().run()
    assert len(gateway_env.requests) == 1
    assert "Not sent: a usage limit was reached" in errors(at)
    assert "Rate limit: 1 request per minute reached" in errors(at)


def test_the_admin_page_shows_what_the_stand_in_saw(gateway_env):
    gateway_env.enqueue(
        Reply(text="A.", prompt_tokens=10, completion_tokens=30),
        Reply(text="B.", prompt_tokens=20, completion_tokens=50),
    )
    at = start_app()
    send(at, "one")
    send(at, "two")
    open_page(at, "admin").run()
    assert not at.exception, at.exception
    metrics = {metric.label: metric.value for metric in at.metric}
    assert metrics["Requests"] == "2" and metrics["Tokens"] == "110"
    users = next(frame.value for frame in at.dataframe if "last request (UTC)" in frame.value.columns)
    local = users.set_index("user").iloc[0]
    assert (local["requests"], local["prompt tokens"], local["completion tokens"]) == (2, 30, 80)


def test_someone_not_named_an_admin_gets_no_admin_page(gateway_env, monkeypatch):
    from streamlit import config
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("GPTPROTO_ALLOW_ANONYMOUS", "true")
    config.set_option("server.address", "0.0.0.0")  # a network address: the local user is no admin
    at = AppTest.from_file(APP, default_timeout=30).run()
    open_page(at, "admin").run()
    assert [title.value for title in at.title] == ["Not available"]
    assert not at.dataframe and not at.metric
