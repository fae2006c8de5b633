"""Compare columns with parameters of their own: one model at two reasoning efforts (or two
temperatures) is one comparison, each column sent its own, and a saved comparison reopens with them."""

from __future__ import annotations

from components.state import compare as compare_state
from devtools.standin import Reply
from tests.app.helpers import app_on, as_read, reopen_comparison
from tests.app.test_compare_page import ask, latest_round

O3 = compare_state.column_keys("o3")
OPTIONAL = (
    "reasoning_effort",
    "temperature",
    "top_p",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "stop",
)


def sent_parameters(body: dict) -> dict:
    return {name: body[name] for name in OPTIONAL if name in body}


def compare_with(models: list[str], **boxes):
    """The Compare page with `models` picked and then the given boxes (key -> value) filled."""
    at = app_on("compare")
    at.run()
    at.multiselect(key=compare_state.MODELS).set_value(models).run()
    for key, value in boxes.items():
        widget = at.button_group(key=key) if key.endswith("reasoning_effort") else at.text_input(key=key)
        widget.set_value(value)
    at.run()
    assert not at.exception, at.exception
    return at


def test_o3_high_vs_o3_low_sends_each_column_its_effort_and_reopens_with_them(gateway_env):
    gateway_env.enqueue(Reply(text="First to answer."), Reply(text="Second to answer."))
    at = compare_with(
        ["o3"],
        **{O3.key("reasoning_effort"): ["high", "low"], compare_state.SAMPLING.key("seed"): "5"},
    )
    ask(at, "Is 91 prime?")
    sent = sorted(
        (sent_parameters(r.body) for r in gateway_env.requests), key=lambda b: b["reasoning_effort"]
    )
    assert sent == [
        {"reasoning_effort": "high", "seed": 5},
        {"reasoning_effort": "low", "seed": 5},
    ]
    round_ = latest_round(at)
    assert sorted(round_.names) == ["o3 (effort high)", "o3 (effort low)"]
    titles = [h.value for h in at.main.subheader]
    assert "o3 (effort high)" in as_read(" ".join(titles)) and "o3 (effort low)" in as_read(" ".join(titles))
    answer_of = {c.own.reasoning_effort: c.answer.text for c in round_.columns}
    assert sorted(answer_of.values()) == ["First to answer.", "Second to answer."]

    again = reopen_comparison(at.session_state[compare_state.CURRENT])
    assert again.multiselect(key=compare_state.MODELS).value == ["o3"]
    efforts = again.button_group(key=O3.key("reasoning_effort")).value
    assert isinstance(efforts, list) and sorted(efforts) == ["high", "low"]
    assert again.text_input(key=compare_state.SAMPLING.key("seed")).value == "5"
    reopened = latest_round(again)
    assert {c.own.reasoning_effort: c.answer.text for c in reopened.columns} == answer_of

    # A follow-up continues each column's own conversation, with its own effort.
    ask(again, "And 97?")
    follow_ups = gateway_env.requests[2:]
    assert len(follow_ups) == 2
    for request in follow_ups:
        effort = request.body["reasoning_effort"]
        assert [m["content"] for m in request.body["messages"]] == [
            "Is 91 prime?",
            answer_of[effort],
            "And 97?",
        ]
        assert request.body["seed"] == 5 and "temperature" not in request.body


def test_several_temperatures_for_one_model_are_columns_of_their_own(gateway_env):
    at = compare_with(["gpt-4o"], **{compare_state.column_keys("gpt-4o").key("temperature"): "0, 1.5"})
    ask(at, "Name a colour")
    assert sorted(sent_parameters(r.body)["temperature"] for r in gateway_env.requests) == [0.0, 1.5]
    assert "reasoning_effort" not in gateway_env.requests[0].body  # gpt-4o is offered no effort
    assert sorted(latest_round(at).names) == ["gpt-4o (temperature 0)", "gpt-4o (temperature 1.5)"]


def test_a_column_temperature_out_of_range_is_named_and_nothing_is_sent(gateway_env):
    at = compare_with(["o3", "gpt-4o"], **{O3.key("temperature"): "2.5"})
    problems = as_read(" ".join(e.value for e in at.sidebar.error))
    assert "o3: Temperature must be from 0 to 2, got 2.5" in problems
    ask(at, "Anyone?")
    assert gateway_env.requests == []
    assert at.chat_input(key=compare_state.INPUT).value == "Anyone?"
    assert at.text_input(key=O3.key("temperature")).value == "2.5"


def test_a_column_refused_for_a_parameter_is_sent_again_without_it_and_the_others_stay(gateway_env):
    gateway_env.unsupported_params = {"temperature": {"o3"}}
    gateway_env.enqueue_for("gpt-4o", Reply(text="GPT answered."))
    at = compare_with(
        ["o3", "gpt-4o"], **{O3.key("reasoning_effort"): ["high"], O3.key("temperature"): "0.2"}
    )
    ask(at, "Is 91 prime?")
    round_ = latest_round(at)
    o3, gpt = round_.columns
    assert o3.name == "o3 (effort high · temperature 0.2)"
    assert o3.answer.error is not None and o3.answer.error.title == "The model does not accept temperature"
    assert gpt.answer.text == "GPT answered."
    assert len(gateway_env.requests) == 2

    gateway_env.enqueue_for("o3", Reply(text="O3 answered without it."))
    button = at.button(key=compare_state.resend_key(o3.answer.id))
    assert button.label == "Send again without temperature"
    button.click().run()
    assert not at.exception, at.exception
    assert len(gateway_env.requests) == 3  # only the refused column was sent again
    resent = gateway_env.requests[-1].body
    assert resent["model"] == "o3" and sent_parameters(resent) == {"reasoning_effort": "high"}
    assert [m["content"] for m in resent["messages"]] == ["Is 91 prime?"]
    round_ = latest_round(at)
    assert [c.answer.text for c in round_.columns] == ["O3 answered without it.", "GPT answered."]
    assert round_.names == ["o3 (effort high)", "gpt-4o"]
    assert at.text_input(key=O3.key("temperature")).value == ""

    again = reopen_comparison(at.session_state[compare_state.CURRENT])
    reopened = latest_round(again)
    assert [c.answer.text for c in reopened.columns] == ["O3 answered without it.", "GPT answered."]
    assert reopened.names == ["o3 (effort high)", "gpt-4o"]
    assert again.text_input(key=O3.key("temperature")).value == ""
