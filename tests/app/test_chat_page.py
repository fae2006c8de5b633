"""The chat page against the stand-in: what the user sees and what the gateway receives."""

from __future__ import annotations

import pytest

from components.state import chat as chat_state
from components.state import common as common_state
from devtools.standin import ErrorReply, Garbled, Reply
from tests.app.helpers import bubble_texts, captions, errors, send, shown_messages, start_app


def test_streamed_answer_with_usage(gateway_env):
    gateway_env.enqueue(
        Reply(text="Streamed **answer** here.", reasoning_tokens=7, cached_tokens=3, chunk_words=1)
    )
    at = send(start_app(), "Hello there")
    assert bubble_texts(at) == [("user", "Hello there"), ("assistant", "Streamed **answer** here.")]
    line = captions(at)
    assert "o4-mini" in line and "7 reasoning" in line and "3 cached tokens" in line
    assert "first token" in line and "tokens/s" in line
    body = gateway_env.requests[-1].body
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["messages"] == [{"role": "user", "content": "Hello there"}]


def test_non_streamed_answer_with_usage(gateway_env):
    gateway_env.enqueue(Reply(text="Plain answer.", reasoning_tokens=2))
    at = start_app()
    at.toggle(key=chat_state.OPTIONS.stream).set_value(False).run()
    send(at, "Hi")
    assert bubble_texts(at)[-1] == ("assistant", "Plain answer.")
    assert "2 reasoning" in captions(at)
    body = gateway_env.requests[-1].body
    assert body["stream"] is False and "stream_options" not in body


def test_sidebar_values_reach_the_request(gateway_env):
    at = start_app()
    at.selectbox(key=chat_state.MODEL).set_value("gpt-4o")
    at.text_input(key=chat_state.OPTIONS.max_tokens).set_value("300")
    at.text_area(key=chat_state.OPTIONS.instructions).set_value("Answer in French.")
    at.text_input(key=chat_state.USER_NAME).set_value("ana")
    at.run()
    send(at, "Bonjour")
    body = gateway_env.requests[-1].body
    assert body["model"] == "gpt-4o"
    assert body["max_completion_tokens"] == 300
    assert body["messages"] == [
        {"role": "system", "content": "Answer in French."},
        {"role": "user", "content": "Bonjour", "name": "ana"},
    ]


def test_o_series_gets_the_developer_role_and_custom_model(gateway_env):
    at = start_app()
    at.selectbox(key=chat_state.MODEL).set_value("Custom model id…").run()
    at.text_input(key=chat_state.CUSTOM_MODEL).set_value("o1-preview")
    at.text_area(key=chat_state.OPTIONS.instructions).set_value("Think.")
    at.run()
    send(at, "Go")
    body = gateway_env.requests[-1].body
    assert body["model"] == "o1-preview"
    assert body["messages"][0] == {"role": "developer", "content": "Think."}


def test_invalid_max_tokens_blocks_sending_and_keeps_the_message(gateway_env):
    gateway_env.enqueue(Reply(text="Sent once the sidebar was fixed."))
    at = start_app()
    at.text_input(key=chat_state.OPTIONS.max_tokens).set_value("0").run()
    assert "at least 1" in errors(at)
    send(at, "Keep me")
    assert gateway_env.requests == []
    assert bubble_texts(at)[0] == ("user", "Keep me")
    assert "fix the sidebar" in errors(at).lower()
    at.text_input(key=chat_state.OPTIONS.max_tokens).set_value("").run()
    at.button(key=chat_state.action_key("retry", _last_answer_id(at))).click().run()
    assert bubble_texts(at) == [("user", "Keep me"), ("assistant", "Sent once the sidebar was fixed.")]
    assert len(gateway_env.requests) == 1
    assert gateway_env.requests[0].body["messages"] == [{"role": "user", "content": "Keep me"}]
    assert "max_completion_tokens" not in gateway_env.requests[0].body


def test_cut_off_answer_continues_in_the_same_bubble(gateway_env):
    gateway_env.enqueue(Reply(text="The first half", finish_reason="length"), Reply(text=" and the rest."))
    at = send(start_app(), "Tell me")
    assert "cut off by max_completion_tokens" in captions(at)
    at.button(key=chat_state.action_key("continue", _last_answer_id(at))).click().run()
    assert bubble_texts(at) == [("user", "Tell me"), ("assistant", "The first half and the rest.")]
    second = gateway_env.requests[-1].body["messages"]
    assert second[-2] == {"role": "assistant", "content": "The first half"}
    assert second[-1]["role"] == "user" and "Continue" in second[-1]["content"]


def test_reasoning_spent_limit_hint(gateway_env):
    gateway_env.enqueue(Reply(text="", finish_reason="length", reasoning_tokens=50))
    at = send(start_app(), "Think hard")
    assert any("spent on reasoning" in w.value for w in at.warning)


def test_usage_fallback_when_gateway_rejects_stream_options(gateway_env):
    gateway_env.reject_params = {"stream_options"}
    gateway_env.enqueue(Reply(text="First."), Reply(text="Second."))
    at = send(start_app(), "One")
    assert bubble_texts(at)[-1] == ("assistant", "First.")
    assert "usage not reported" in captions(at)
    first, retried = gateway_env.requests
    assert "stream_options" in first.body and first.response_status == 400
    assert "stream_options" not in retried.body
    send(at, "Two")
    # Remembered for this base URL: no second rejected attempt.
    assert len(gateway_env.requests) == 3
    assert "stream_options" not in gateway_env.requests[-1].body


@pytest.mark.parametrize(
    ("reply", "fragment"),
    [
        (ErrorReply.unauthorized(), "The API key is missing or invalid"),
        (ErrorReply.forbidden(), "no permission"),
        (ErrorReply.insufficient_balance(), "Insufficient balance"),
        (ErrorReply.rate_limited(retry_after=30), "Rate limited"),
        (ErrorReply.server_error(), "The gateway failed (500)"),
        (ErrorReply.content_policy(), "Blocked by the content policy"),
        (ErrorReply.not_found_model("nope"), "not found"),
        (ErrorReply(status=400, message="messages too long", param="messages"), "rejected the request"),
    ],
)
def test_each_error_shows_its_message_and_keeps_the_prompt(gateway_env, monkeypatch, reply, fragment):
    monkeypatch.setenv("GPTPROTO_MAX_RETRIES", "0")
    gateway_env.enqueue(reply)
    at = send(start_app(), "Will this work?")
    shown = errors(at)
    assert fragment in shown
    assert "request id" in shown
    assert bubble_texts(at)[0] == ("user", "Will this work?")
    assert reply.message in "\n".join(c.value for c in at.caption)
    assert not at.exception


def test_retry_after_an_error_resends_the_same_message_once(gateway_env, monkeypatch):
    monkeypatch.setenv("GPTPROTO_MAX_RETRIES", "0")
    gateway_env.enqueue(ErrorReply.server_error(), Reply(text="Recovered."))
    at = send(start_app(), "Try me")
    at.button(key=chat_state.action_key("retry", _last_answer_id(at))).click().run()
    assert bubble_texts(at) == [("user", "Try me"), ("assistant", "Recovered.")]
    first, second = gateway_env.requests
    assert first.body["messages"] == second.body["messages"] == [{"role": "user", "content": "Try me"}]


# Neither key looks like sk-...: only the app's knowledge of its own key keeps it off the page.
WRONG_KEY = "gw-wrong-key-0123456789"
RIGHT_KEY = "gw-right-key-0123456789"


@pytest.mark.parametrize(
    ("key", "script", "shown"),
    [
        # The stand-in's 401 quotes the wrong key back, as some gateways do.
        (WRONG_KEY, None, "The API key is missing or invalid"),
        # A broken proxy quotes the (right) key in a response that is not HTTP: a connection error.
        (RIGHT_KEY, Garbled(), "Cannot reach the gateway"),
    ],
)
def test_a_key_quoted_by_the_gateway_is_neither_shown_nor_stored(
    gateway_env, monkeypatch, tmp_path, key, script, shown
):
    monkeypatch.setenv("GPTPROTO_API_KEY", key)
    monkeypatch.setenv("GPTPROTO_MAX_RETRIES", "0")
    gateway_env.api_keys = (RIGHT_KEY,)
    if script is not None:
        gateway_env.enqueue(script)
    at = send(start_app(), "Hi")
    assert key in gateway_env.requests[0].sent.decode()  # the stand-in did send it
    assert shown in errors(at)
    assert "[redacted key]" in _page_text(at)
    assert key not in _page_text(at)
    # The database (and its write-ahead log) under the test's GPTPROTO_DATA_DIR.
    stored = b"".join(path.read_bytes() for path in (tmp_path / "data").rglob("*") if path.is_file())
    assert b"[redacted key]" in stored  # the error was stored, with the key taken out
    assert key.encode() not in stored


def test_connection_refused(monkeypatch):
    monkeypatch.setenv("GPTPROTO_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("GPTPROTO_API_KEY", "sk-any")
    monkeypatch.setenv("GPTPROTO_MAX_RETRIES", "0")
    at = send(start_app(), "Anyone there?")
    assert "refused the connection" in errors(at)
    assert bubble_texts(at)[0] == ("user", "Anyone there?")


def test_timeout(gateway_env, monkeypatch):
    monkeypatch.setenv("GPTPROTO_STALL_TIMEOUT", "0.3")
    monkeypatch.setenv("GPTPROTO_MAX_RETRIES", "0")
    gateway_env.enqueue(Reply(text="late", stall_after=0, stall_seconds=5))
    at = send(start_app(), "Slow?")
    assert "stalled" in errors(at)


def test_no_server_key_asks_for_the_users_own(gateway_env, monkeypatch):
    monkeypatch.delenv("GPTPROTO_API_KEY")
    at = start_app()
    assert at.text_input(key=common_state.USER_KEY_INPUT).label == "Your GPTProto API key"
    send(at, "Before the key")
    assert gateway_env.requests == []
    assert "No API key" in errors(at)
    at.text_input(key=common_state.USER_KEY_INPUT).set_value(gateway_env.api_key).run()
    at.button(key=chat_state.action_key("retry", _last_answer_id(at))).click().run()
    assert bubble_texts(at)[-1][0] == "assistant" and not errors(at)
    assert gateway_env.requests[-1].headers["authorization"] == f"Bearer {gateway_env.api_key}"
    assert gateway_env.api_key not in _page_text(at)


def test_new_chat_clears_history(gateway_env):
    at = send(start_app(), "Hello")
    assert len(at.chat_message) == 2
    at.button(key=chat_state.NEW).click().run()
    assert len(at.chat_message) == 0


def test_history_is_sent_back_on_the_next_turn(gateway_env):
    gateway_env.enqueue(Reply(text="First answer."), Reply(text="Second answer."))
    at = send(start_app(), "First")
    send(at, "Second")
    assert gateway_env.requests[-1].body["messages"] == [
        {"role": "user", "content": "First"},
        {"role": "assistant", "content": "First answer."},
        {"role": "user", "content": "Second"},
    ]


def _last_answer_id(at) -> str:
    return shown_messages(at)[-1].id


def _page_text(at) -> str:
    parts = [
        str(node.value) for kind in ("markdown", "caption", "error", "warning") for node in getattr(at, kind)
    ]
    return "\n".join(parts)


def test_the_request_leaves_before_the_page_is_drawn_and_the_prompt_is_stored_meanwhile(
    gateway_env, monkeypatch
):
    from streamlit.runtime.scriptrunner_utils.script_run_context import ScriptRunContext

    from components.plumbing.chat_persistence import TurnSaver
    from core.gateway.pump import EventPump

    at = start_app()
    steps: list[str] = []  # the submission run's steps, and each element it draws, in order

    def marking(name, original):
        def wrapper(self, *args, **kwargs):
            steps.append(name)
            return original(self, *args, **kwargs)

        return wrapper

    enqueue = ScriptRunContext.enqueue

    def drawing(self, msg):
        if msg.WhichOneof("type") == "delta" and msg.delta.WhichOneof("type") == "new_element":
            steps.append(msg.delta.new_element.WhichOneof("type"))
        enqueue(self, msg)

    monkeypatch.setattr(ScriptRunContext, "enqueue", drawing)
    monkeypatch.setattr(EventPump, "start", marking("request sent", EventPump.start))
    monkeypatch.setattr(TurnSaver, "store_prompt", marking("prompt stored", TurnSaver.store_prompt))
    gateway_env.enqueue(Reply(text="Early answer."))
    send(at, "Hello early")
    sent = steps.index("request sent")
    assert steps[sent + 1] == "prompt stored"  # while the request travels, before anything is drawn
    # The chat page's sidebar (its model picker), the input and the answer are drawn after.
    assert sent < steps.index("selectbox") and sent < steps.index("chat_input")
    assert bubble_texts(at) == [("user", "Hello early"), ("assistant", "Early answer.")]
    assert gateway_env.requests[-1].body["messages"] == [{"role": "user", "content": "Hello early"}]


def test_a_run_that_fails_after_the_request_left_closes_it_and_keeps_the_answer_stopped(
    gateway_env, monkeypatch
):
    from streamlit.testing.v1 import AppTest

    import pages.chat
    from core.conversation import Status
    from tests.app.helpers import APP

    at = start_app()
    working = pages.chat.render_chat_sidebar

    def broken(*args, **kwargs):
        raise RuntimeError("the sidebar broke")

    monkeypatch.setattr(pages.chat, "render_chat_sidebar", broken)
    gateway_env.enqueue(Reply(text="Never shown.", first_token_delay=5.0))
    at.chat_input(key=chat_state.INPUT).set_value("Hello there").run()
    assert at.exception  # the page failed while it was being drawn, after the request left
    prompt, answer = shown_messages(at)
    assert prompt.text == "Hello there"
    assert answer.status == Status.STOPPED and answer.text == ""
    monkeypatch.setattr(pages.chat, "render_chat_sidebar", working)
    reopened = AppTest.from_file(APP, default_timeout=30)
    reopened.query_params["c"] = at.session_state[chat_state.CONVERSATION]
    reopened.run()
    assert [(m.text, m.status) for m in shown_messages(reopened)] == [
        ("Hello there", prompt.status),
        ("", Status.STOPPED),  # stored as stopped, not left streaming
    ]
