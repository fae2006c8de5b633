"""Each gateway fault at the app level: its message, the partial text kept, the user's message
there exactly once, and a Retry that works."""

from __future__ import annotations

import pytest

from components.state import chat as chat_state
from core.conversation import Status
from devtools.standin import ErrorReply, HangUp, Reply
from tests.app.helpers import bubble_texts, errors, send, shown_messages, start_app

WORDS = "alpha beta gamma delta epsilon zeta"


@pytest.fixture
def gateway_env(gateway_env, monkeypatch):
    monkeypatch.setenv("GPTPROTO_MAX_RETRIES", "0")
    monkeypatch.setenv("GPTPROTO_STALL_TIMEOUT", "0.5")
    return gateway_env


def page_text(at) -> str:
    parts = [str(n.value) for kind in ("markdown", "caption", "error", "warning") for n in getattr(at, kind)]
    return "\n".join(parts)


@pytest.mark.parametrize(
    ("fault", "shown", "status", "partial"),
    [
        (Reply(text=WORDS, cut_after=3), "ended early", Status.INCOMPLETE, "alpha beta gamma"),
        (
            Reply(text=WORDS, cut_after=3, send_done=False),
            "ended early",
            Status.INCOMPLETE,
            "alpha beta gamma",
        ),
        (Reply(text=WORDS, drop_after=2), "dropped", Status.FAILED, "alpha beta"),
        (Reply(text=WORDS, stall_after=2, stall_seconds=5), "stalled", Status.FAILED, "alpha beta"),
        (Reply(text=WORDS, garbage_after=2), "could not read", Status.FAILED, "alpha beta"),
        (Reply(text=WORDS, error_event_after=2), "failed mid-stream", Status.FAILED, "alpha beta"),
        (ErrorReply.server_error(), "The gateway failed (500)", Status.FAILED, ""),
        (HangUp(), "Cannot reach the gateway", Status.FAILED, ""),
    ],
)
def test_fault_shows_its_message_keeps_partial_text_and_retry_works(
    gateway_env, fault, shown, status, partial
):
    gateway_env.enqueue(fault, Reply(text="Recovered answer."))
    at = send(start_app(), "Tell me the Greek letters")
    answer = shown_messages(at)[-1]
    assert answer.status == status
    assert shown.lower() in page_text(at).lower()
    assert answer.text.strip() == partial
    if partial:
        assert bubble_texts(at)[-1] == ("assistant", partial)
    at.button(key=chat_state.action_key("retry", answer.id)).click().run()
    assert not errors(at)
    assert bubble_texts(at) == [("user", "Tell me the Greek letters"), ("assistant", "Recovered answer.")]
    assert [r.body["messages"] for r in gateway_env.requests] == [
        [{"role": "user", "content": "Tell me the Greek letters"}]
    ] * 2


def test_retries_wait_and_then_succeed_without_duplicating_the_message(gateway_env, monkeypatch):
    monkeypatch.setenv("GPTPROTO_MAX_RETRIES", "2")
    monkeypatch.setenv("GPTPROTO_RETRY_BASE_DELAY", "0.05")
    gateway_env.enqueue(
        ErrorReply.rate_limited(retry_after=0.3), ErrorReply.server_error(), Reply(text="Finally.")
    )
    at = send(start_app(), "Busy?")
    assert bubble_texts(at) == [("user", "Busy?"), ("assistant", "Finally.")]
    first, second, third = gateway_env.requests
    assert second.received_at - first.received_at >= 0.3
    assert first.body == second.body == third.body


def test_non_retryable_statuses_are_sent_once(gateway_env, monkeypatch):
    monkeypatch.setenv("GPTPROTO_MAX_RETRIES", "3")
    gateway_env.enqueue(ErrorReply.forbidden(), Reply(text="not reached"))
    at = send(start_app(), "Allowed?")
    assert "no permission" in errors(at)
    assert len(gateway_env.requests) == 1


def test_continue_after_an_incomplete_stream_appends_to_the_same_answer(gateway_env):
    gateway_env.enqueue(Reply(text=WORDS, cut_after=2), Reply(text="gamma delta."))
    at = send(start_app(), "Letters")
    answer_id = shown_messages(at)[-1].id
    at.button(key=chat_state.action_key("continue", answer_id)).click().run()
    assert bubble_texts(at)[-1] == ("assistant", "alpha beta gamma delta.")
    assert shown_messages(at)[-1].status == Status.COMPLETE
    assert len(at.chat_message) == 2
