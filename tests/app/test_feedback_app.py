"""Feedback on answers, driven through the pages: thumbs down with a comment, changed to up,
removed; a new session (a reload) shows what was stored; Compare columns take feedback too."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from components.state import chat as chat_state
from components.state.feedback import comment_key, comment_save_key, rating_key
from devtools.standin import Reply
from tests.app.helpers import reopen_comparison, reopen_conversation, send, start_app


@pytest.fixture
def gateway_env(gateway_env, monkeypatch):
    monkeypatch.setenv("GPTPROTO_MAX_RETRIES", "0")
    return gateway_env


def answer_id(at: AppTest) -> str:
    (answer,) = [m for m in at.session_state[chat_state.TREE].path() if m.role == "assistant"]
    return answer.id


def test_thumbs_down_with_a_comment_then_up_then_removed_and_each_survives_a_reload(gateway_env):
    gateway_env.enqueue(Reply(text="Seven."))
    at = send(start_app(), "Name a prime")
    conversation, answer = at.session_state[chat_state.CONVERSATION], answer_id(at)
    thumbs = at.feedback(key=rating_key("chat", answer))
    assert thumbs.value is None
    thumbs.set_value(0).run()  # thumbs down
    assert not at.exception, at.exception
    at.text_area(key=comment_key("chat", answer)).set_value("Too *short*, no reasoning.")
    at.button(key=comment_save_key("chat", answer)).click().run()
    assert not at.exception, at.exception
    # The comment is shown as typed: its asterisks are text, not emphasis.
    assert any("Too \\*short\\*, no reasoning." in caption.value for caption in at.caption)

    again = reopen_conversation(conversation)
    assert again.feedback(key=rating_key("chat", answer)).value == 0
    assert again.text_area(key=comment_key("chat", answer)).value == "Too *short*, no reasoning."

    again.feedback(key=rating_key("chat", answer)).set_value(1).run()  # changed to up
    assert not again.exception, again.exception
    third = reopen_conversation(conversation)
    assert third.feedback(key=rating_key("chat", answer)).value == 1
    assert third.text_area(key=comment_key("chat", answer)).value == "Too *short*, no reasoning."

    third.feedback(key=rating_key("chat", answer)).set_value(None).run()  # removed
    assert not third.exception, third.exception
    last = reopen_conversation(conversation)
    assert last.feedback(key=rating_key("chat", answer)).value is None
    assert not [area for area in last.text_area if area.key == comment_key("chat", answer)]


def test_each_compare_column_takes_its_own_feedback_which_a_reopened_comparison_shows(gateway_env):
    from components.state import compare as compare_state
    from tests.app.test_compare_page import ask, script_answers, start_compare
    from tests.app.test_compare_saved import url_id

    script_answers(gateway_env, {"o4-mini": "Seven.", "gpt-4o": "Eleven."})
    at = ask(start_compare(["o4-mini", "gpt-4o"]), "Name a prime")
    small, large = (column.answer.id for column in at.session_state[compare_state.ROUNDS][-1].columns)
    # The thumbs are under each answer as soon as the round has ended.
    at.feedback(key=rating_key("compare", large)).set_value(1).run()
    assert not at.exception, at.exception
    at.feedback(key=rating_key("compare", small)).set_value(0).run()
    at.text_area(key=comment_key("compare", small)).set_value("Right, but terse.")
    at.button(key=comment_save_key("compare", small)).click().run()
    assert not at.exception, at.exception

    again = reopen_comparison(url_id(at))
    assert again.feedback(key=rating_key("compare", large)).value == 1
    assert again.feedback(key=rating_key("compare", small)).value == 0
    assert again.text_area(key=comment_key("compare", small)).value == "Right, but terse."
    assert again.text_area(key=comment_key("compare", large)).value == ""  # rated up without a comment
