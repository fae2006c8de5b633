"""The chat picker keeps the model a conversation used, whether the gateway lists it or not."""

from __future__ import annotations

from components.sidebar import CUSTOM_MODEL
from components.state import chat as chat_state
from components.state.common import HIDE_COSTS, PRESENTER
from tests.app.helpers import captions, reopen_conversation, send, start_app


def test_a_model_only_the_gateway_lists_is_picked_again_on_reopening(gateway_env):
    at = start_app()
    picker = at.selectbox(key=chat_state.MODEL)
    # The stand-in lists it; no setting names it. (AppTest shows the options' labels.)
    assert "GPT-4.1 · gpt-4.1-nano" in picker.options
    assert not [label for label in picker.options if "whisper-1" in label]
    picker.set_value("gpt-4.1-nano").run()
    send(at, "Hello")
    again = reopen_conversation(at.session_state[chat_state.CONVERSATION])
    assert again.selectbox(key=chat_state.MODEL).value == "gpt-4.1-nano"
    send(again, "Again")
    assert [request.body["model"] for request in gateway_env.requests] == ["gpt-4.1-nano", "gpt-4.1-nano"]


def test_a_typed_model_is_offered_by_its_id_on_reopening(gateway_env):
    at = start_app()
    at.selectbox(key=chat_state.MODEL).set_value(CUSTOM_MODEL).run()
    at.text_input(key=chat_state.CUSTOM_MODEL).set_value("o1-preview").run()
    send(at, "Hello")
    again = reopen_conversation(at.session_state[chat_state.CONVERSATION])
    picker = again.selectbox(key=chat_state.MODEL)
    assert picker.value == "o1-preview"
    assert picker.options[-2:] == ["o1-preview", CUSTOM_MODEL]
    send(again, "Again")
    assert [request.body["model"] for request in gateway_env.requests] == ["o1-preview", "o1-preview"]


def test_the_pickers_facts_leave_the_price_out_while_the_presenter_hides_costs(gateway_env, monkeypatch):
    monkeypatch.setenv("GPTPROTO_PRICES", "o4-mini=1.1/4.4")
    at = start_app()
    assert "200,000-token context · images · reasoning · $1.1/$4.4 per 1M tokens" in captions(at)
    at.toggle(key=PRESENTER).set_value(True).run()
    at.toggle(key=HIDE_COSTS).set_value(True).run()
    assert "200,000-token context · images · reasoning" in captions(at)
    assert "per 1M tokens" not in captions(at)
