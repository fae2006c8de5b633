"""Reasoning effort and sampling parameters on the Chat page: sent only when set, kept with the
conversation, and a parameter the gateway refuses is named and can be dropped in one click."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from components.state import chat as chat_state
from devtools.standin import Reply
from tests.app.helpers import as_read, bubble_texts, errors, reopen_conversation, send, start_app

OPTIONAL = {
    "reasoning_effort",
    "temperature",
    "top_p",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "stop",
}
EFFORT = chat_state.SAMPLING.key("reasoning_effort")
TEMPERATURE = chat_state.SAMPLING.key("temperature")


@pytest.fixture
def gateway_env(gateway_env, monkeypatch):
    monkeypatch.setenv("GPTPROTO_MAX_RETRIES", "0")
    return gateway_env


def on_model(model: str) -> AppTest:
    at = start_app()
    at.selectbox(key=chat_state.MODEL).set_value(model).run()
    assert not at.exception, at.exception
    return at


def sent_parameters(body: dict) -> dict:
    return {name: value for name, value in body.items() if name in OPTIONAL}


def test_nothing_set_sends_no_optional_parameter(gateway_env):
    send(on_model("gpt-4o"), "Hi")
    assert sent_parameters(gateway_env.requests[-1].body) == {}


def test_effort_and_temperature_are_sent_and_kept_when_the_chat_reopens(gateway_env):
    gateway_env.enqueue(Reply(text="Thought hard."), Reply(text="Again."))
    at = on_model("o3")
    at.selectbox(key=EFFORT).set_value("high")
    at.text_input(key=TEMPERATURE).set_value("0.2")
    at.run()
    assert "Sent: effort high · temperature 0.2" in as_read(" ".join(c.value for c in at.sidebar.caption))
    send(at, "Think about it")
    assert sent_parameters(gateway_env.requests[-1].body) == {"reasoning_effort": "high", "temperature": 0.2}

    again = reopen_conversation(at.session_state[chat_state.CONVERSATION])
    assert again.selectbox(key=EFFORT).value == "high"
    assert again.text_input(key=TEMPERATURE).value == "0.2"
    send(again, "Once more")
    assert sent_parameters(gateway_env.requests[-1].body) == {"reasoning_effort": "high", "temperature": 0.2}


def test_effort_is_offered_for_reasoning_models_only_and_never_sent_to_others(gateway_env):
    at = on_model("o3")
    at.selectbox(key=EFFORT).set_value("low").run()
    at.selectbox(key=chat_state.MODEL).set_value("gpt-4o").run()
    assert EFFORT not in [box.key for box in at.selectbox]
    send(at, "Hi")
    assert "reasoning_effort" not in gateway_env.requests[-1].body


def test_every_sampling_parameter_reaches_the_request_as_typed(gateway_env):
    at = on_model("gpt-4o")
    typed_values = {"top_p": "0.9", "seed": "42", "presence_penalty": "-1.5", "frequency_penalty": "1"}
    for name, typed in typed_values.items():
        at.text_input(key=chat_state.SAMPLING.key(name)).set_value(typed)
    at.text_area(key=chat_state.SAMPLING.key("stop")).set_value("END\n###")
    at.run()
    send(at, "Go")
    assert sent_parameters(gateway_env.requests[-1].body) == {
        "top_p": 0.9,
        "seed": 42,
        "presence_penalty": -1.5,
        "frequency_penalty": 1.0,
        "stop": ["END", "###"],
    }


def test_a_value_out_of_range_is_named_blocks_sending_and_stays_as_typed(gateway_env):
    gateway_env.enqueue(Reply(text="Sent once fixed."))
    at = on_model("gpt-4o")
    at.text_input(key=TEMPERATURE).set_value("3").run()
    assert "Temperature must be from 0 to 2, got 3" in errors(at)
    send(at, "Keep me")
    assert gateway_env.requests == []
    assert bubble_texts(at)[0] == ("user", "Keep me")
    assert at.text_input(key=TEMPERATURE).value == "3"
    at.text_input(key=TEMPERATURE).set_value("1.5").run()
    answer_id = at.session_state[chat_state.TREE].path()[-1].id
    at.button(key=chat_state.action_key("retry", answer_id)).click().run()
    assert bubble_texts(at) == [("user", "Keep me"), ("assistant", "Sent once fixed.")]
    assert sent_parameters(gateway_env.requests[-1].body) == {"temperature": 1.5}


def test_a_refused_parameter_is_named_and_one_click_sends_the_turn_again_without_it(gateway_env):
    gateway_env.enqueue(Reply(text="First answer."))
    at = on_model("o3")
    send(at, "First question")
    at.selectbox(key=EFFORT).set_value("high")
    at.text_input(key=TEMPERATURE).set_value("0.2")
    at.run()
    gateway_env.unsupported_params = {"temperature": {"o3"}}
    send(at, "Second question")
    refused = gateway_env.requests[-1]
    assert refused.response_status == 400 and refused.body["temperature"] == 0.2
    assert "The model does not accept temperature" in errors(at)
    assert bubble_texts(at)[:3] == [
        ("user", "First question"),
        ("assistant", "First answer."),
        ("user", "Second question"),
    ]

    gateway_env.enqueue(Reply(text="Second answer, without temperature."))
    failed = at.session_state[chat_state.TREE].path()[-1]
    button = at.button(key=chat_state.action_key("without", failed.id))
    assert button.label == "Send again without temperature"
    button.click().run()
    assert not at.exception, at.exception
    assert sent_parameters(gateway_env.requests[-1].body) == {"reasoning_effort": "high"}
    assert gateway_env.requests[-1].body["messages"][-1] == {"role": "user", "content": "Second question"}
    assert bubble_texts(at) == [
        ("user", "First question"),
        ("assistant", "First answer."),
        ("user", "Second question"),
        ("assistant", "Second answer, without temperature."),
    ]
    assert at.text_input(key=TEMPERATURE).value == ""
    again = reopen_conversation(at.session_state[chat_state.CONVERSATION])
    assert again.text_input(key=TEMPERATURE).value == ""
    assert again.selectbox(key=EFFORT).value == "high"
    assert bubble_texts(again) == bubble_texts(at)
