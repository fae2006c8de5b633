"""Per-user limits and the request log, end to end on the chat page: what the stand-in received
is what the log and the admin page show, and over a limit nothing is sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from streamlit.testing.v1 import AppTest

from components.state import chat as chat_state
from components.state import compare as compare_state
from core.storage import UsageStore, database_url, make_engine
from devtools.standin import Reply
from tests.app.helpers import APP, app_on, bubble_texts, errors, open_page, send, shown_messages, start_app


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

    monkeypatch.setenv("GPTPROTO_ALLOW_ANONYMOUS", "true")
    config.set_option("server.address", "0.0.0.0")  # a network address: the local user is no admin
    at = AppTest.from_file(APP, default_timeout=30).run()
    open_page(at, "admin").run()
    assert [title.value for title in at.title] == ["Not available"]
    assert not at.dataframe and not at.metric


def test_four_compare_columns_near_the_token_budget_are_refused_before_anything_is_sent(
    gateway_env, monkeypatch, tmp_path
):
    monkeypatch.setenv("GPTPROTO_LIMIT_TOKENS_PER_DAY", "1500")
    models = ["o4-mini", "gpt-4o", "o3", "gpt-4o-mini"]
    for model in models:
        gateway_env.enqueue_for(model, Reply(text=f"{model} answers.", completion_tokens=500))
    at = app_on("compare").run()
    at.multiselect(key=compare_state.MODELS).set_value(models)
    at.text_input(key=compare_state.OPTIONS.max_tokens).set_value("500")
    # Each column holds 508: "Name a prime." is 13 characters (4 tokens, 4 more for the message)
    # plus 500. Before the fourth: 3 × 508 = 1,524, past 1,500. Before, all four went out.
    send(at.run(), "Name a prime.", key=compare_state.INPUT)
    assert gateway_env.requests == []
    refusal = errors(at)
    assert refusal.startswith(
        "Daily token budget of 1,500 tokens: 0 used today; these 4 answers may use up to 2,032 tokens "
        "together (each its prompt and its max completion tokens). Compare fewer models or lower "
        "max completion tokens, or wait: the budget resets at midnight UTC (in "
    )
    assert refusal.endswith("). Your prompt is kept.")
    assert at.chat_input(key=compare_state.INPUT).value == "Name a prime."
    assert request_log(tmp_path) == []
    # Three fit (2 × 508 = 1,016 before the third): they are sent and hold 1,524 until they end.
    at.multiselect(key=compare_state.MODELS).set_value(models[:3])
    send(at.run(), "Name a prime.", key=compare_state.INPUT)
    assert len(gateway_env.requests) == 3
    log = request_log(tmp_path)
    assert (
        sorted((row.status, row.completion_tokens, row.estimated) for row in log)
        == [("complete", 500, False)] * 3
    )


def test_an_answer_cut_short_without_usage_is_logged_as_an_estimate_not_as_zero(gateway_env, tmp_path):
    words = "alpha beta gamma delta epsilon zeta eta theta"
    gateway_env.enqueue(Reply(text=words, cut_after=5, send_done=False))
    at = send(start_app(), "Log this")
    assert [text for _, text in bubble_texts(at)][1].startswith("alpha beta gamma delta epsilon")
    [row] = request_log(tmp_path)
    # "Log this": 8 characters, 2 tokens, 4 for the message; "alpha beta gamma delta epsilon ":
    # 31 characters, 8 tokens. The stream ended before its usage chunk; 0 was logged before.
    assert (row.status, row.prompt_tokens, row.completion_tokens, row.total_tokens) == (
        "incomplete",
        6,
        8,
        14,
    )
    assert row.estimated
    open_page(at, "admin").run()
    assert not at.exception, at.exception
    assert (
        "≈ 14 of these tokens are estimates: answers stopped, closed or cut short before the gateway "
        "reported their usage, and what is held for answers still streaming."
    ) in [caption.value for caption in at.caption]
