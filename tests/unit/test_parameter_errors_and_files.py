"""Optional parameters beyond the request: a gateway refusing one is named; conversations and
comparisons keep them in storage and files, and an import holds them to their ranges."""

from __future__ import annotations

import json
import random

import httpx2
import openai
import pytest

from core.branches import ConversationTree
from core.compare import ColumnSetup, comparison_summary
from core.compare_flow import column_params, start_round
from core.conversation import ChatParams, Message, Status
from core.formats.comparison import export_comparison_json, import_comparison_json
from core.formats.conversation import export_json, export_markdown, import_json
from core.formats.strict import ImportRejected
from core.gateway.errors import ErrorKind, classify_exception, classify_status, refused_parameter_of
from core.sampling import Sampling
from core.storage.codec import params_from_dict, params_to_dict

OPENAI_SHAPE = "Unsupported parameter: 'temperature' is not supported with this model."


@pytest.mark.parametrize(
    ("message", "code", "param", "named"),
    [
        (OPENAI_SHAPE, "unsupported_parameter", "temperature", "temperature"),
        ("This model does not take that.", "unsupported_parameter", "top_p", "top_p"),  # by param
        (OPENAI_SHAPE, None, None, "temperature"),  # by the message alone
        ("Unsupported value: 'reasoning_effort' does not support 'high'.", "unsupported_value", None,
         "reasoning_effort"),
        ("Unrecognized request argument supplied: seed", "invalid_request", "seed", "seed"),
    ],
)  # fmt: skip
def test_a_400_naming_an_optional_parameter_names_it(message, code, param, named):
    error = classify_status(400, message, code=code, param=param, request_id="req_1")
    assert error.kind is ErrorKind.UNSUPPORTED_PARAMETER
    assert error.param == named and refused_parameter_of(error) == named
    assert error.provider_message == message and error.request_id == "req_1"
    assert not error.retryable


def test_the_title_names_the_parameter_or_its_value():
    refused = classify_status(400, OPENAI_SHAPE, code="unsupported_parameter", param="temperature")
    assert refused.title == "The model does not accept temperature"
    assert "Send it again without temperature" in refused.hint
    value = classify_status(
        400, "Unsupported value: 'reasoning_effort' does not support 'high'.", code="unsupported_value"
    )
    assert value.title == "The model does not accept this reasoning effort value"


@pytest.mark.parametrize(
    ("message", "code", "param"),
    [
        ("Unrecognized request argument supplied: stream_options", "invalid_request", "stream_options"),
        ("Unsupported parameter: 'logit_bias'", "unsupported_parameter", "logit_bias"),
        ("Something else is wrong.", "invalid_request", "messages[0]"),
    ],
)
def test_other_400s_stay_bad_requests(message, code, param):
    error = classify_status(400, message, code=code, param=param)
    assert error.kind is ErrorKind.BAD_REQUEST and error.param is None
    assert refused_parameter_of(error) is None


def test_the_openai_exception_carries_its_param_through():
    body = {"message": OPENAI_SHAPE, "type": "invalid_request_error", "param": "temperature",
            "code": "unsupported_parameter"}  # fmt: skip
    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
    response = httpx2.Response(400, request=request, json={"error": body})
    exc = openai.BadRequestError(OPENAI_SHAPE, response=response, body=body)
    error = classify_exception(exc)
    assert error.kind is ErrorKind.UNSUPPORTED_PARAMETER and error.param == "temperature"


HIGH_AND_COLD = Sampling(reasoning_effort="high", temperature=0.2, seed=7, stop=("END",))


def test_stored_params_keep_the_set_parameters_only_and_read_back():
    params = ChatParams(model="o3", sampling=HIGH_AND_COLD)
    stored = params_to_dict(params)
    assert stored["sampling"] == {"reasoning_effort": "high", "temperature": 0.2, "seed": 7, "stop": ["END"]}
    assert params_from_dict(json.loads(json.dumps(stored))) == params
    # A conversation stored before parameters existed reads as none set.
    assert params_from_dict({"model": "o3", "stream": True}).sampling == Sampling()


def conversation(params: ChatParams) -> bytes:
    prompt = Message(role="user", text="Hi", id="p1")
    answer = Message(role="assistant", text="Hello", id="a1", parent_id="p1", model="o3")
    return export_json("Demo", params, ConversationTree.of([prompt, answer], "a1")).encode()


def test_a_conversation_export_round_trips_its_parameters():
    params = ChatParams(model="o3", sampling=HIGH_AND_COLD)
    raw = conversation(params)
    assert json.loads(raw)["params"]["sampling"] == {
        "reasoning_effort": "high",
        "temperature": 0.2,
        "seed": 7,
        "stop": ["END"],
    }
    assert import_json(raw).params == params
    assert "- Parameters: effort high · temperature 0.2 · seed 7 · stop ×1" in export_markdown(
        "Demo", params, []
    )


def with_sampling(sampling: object) -> bytes:
    data = json.loads(conversation(ChatParams(model="o3")))
    data["params"]["sampling"] = sampling
    return json.dumps(data).encode()


@pytest.mark.parametrize(
    ("sampling", "message"),
    [
        ({"temperature": 2.5}, "params.sampling: Temperature must be from 0 to 2, got 2.5."),
        ({"temperature": "0.2"}, "params.sampling: Temperature must be a number from 0 to 2, got '0.2'."),
        ({"reasoning_effort": "max"}, "params.sampling: Reasoning effort must be one of low, medium, high"),
        ({"logit_bias": {"1": 2}}, "params.sampling: Unknown parameter 'logit_bias'"),
        (
            {"stop": ["a", "b", "c", "d", "e"]},
            "params.sampling: At most 4 stop sequences can be sent; got 5.",
        ),
        ({"seed": 1.5}, "params.sampling: Seed must be a whole number, got 1.5."),
        ([0.2], "params.sampling: Parameters must be an object"),
    ],
)
def test_an_import_refuses_a_parameter_it_could_not_send(sampling, message):
    with pytest.raises(ImportRejected) as refused:
        import_json(with_sampling(sampling))
    assert str(refused.value).startswith(message)


def test_an_export_without_parameters_imports_with_none_set():
    data = json.loads(conversation(ChatParams(model="o3")))
    assert "sampling" not in data["params"]
    assert import_json(json.dumps(data).encode()).params.sampling == Sampling()
    assert import_json(with_sampling(None)).params.sampling == Sampling()


def o3_high_vs_low():
    own = [Sampling(reasoning_effort="high"), Sampling(reasoning_effort="low")]
    params = ChatParams(model="o3", sampling=Sampling(seed=3))
    round_ = start_round([], ["o3", "o3"], "Prove it", random.Random(2), params=params, own=own)
    for column, text in zip(round_.columns, ["Long proof.", "Short proof."], strict=True):
        column.answer.text, column.answer.status = text, Status.COMPLETE
    round_.winner = "o3 (effort low)"
    return params, round_


def test_one_model_at_two_efforts_is_two_columns_each_sent_its_own():
    params, round_ = o3_high_vs_low()
    assert round_.names == ["o3 (effort high)", "o3 (effort low)"]
    sent = [column_params(params, column, "auto").sampling for column in round_.columns]
    assert sent == [Sampling(reasoning_effort="high", seed=3), Sampling(reasoning_effort="low", seed=3)]
    # A follow-up continues each column's own conversation.
    follow = start_round([round_], ["o3", "o3"], "Again", params=params, own=[c.own for c in round_.columns])
    assert [c.history[1].text for c in follow.columns] == ["Long proof.", "Short proof."]
    assert [row["model"] for row in comparison_summary([round_], {})] == round_.names


def test_a_comparison_export_round_trips_each_columns_parameters():
    params, round_ = o3_high_vs_low()
    raw = export_comparison_json("Efforts", params, [round_])
    answers = json.loads(raw)["rounds"][0]["answers"]
    assert [a["sampling"] for a in answers] == [{"reasoning_effort": "high"}, {"reasoning_effort": "low"}]
    imported = import_comparison_json(raw.encode())
    (again,) = imported.rounds
    assert [(c.model, c.own) for c in again.columns] == [(c.model, c.own) for c in round_.columns]
    assert again.winner == "o3 (effort low)" and imported.params == params
    assert [ColumnSetup(c.model, c.own).name for c in again.columns] == [
        "o3 (effort high)",
        "o3 (effort low)",
    ]


def test_a_comparison_import_refuses_two_identical_columns_and_bad_column_parameters():
    params, round_ = o3_high_vs_low()
    data = json.loads(export_comparison_json("Efforts", params, [round_]))
    data["rounds"][0]["answers"][1]["sampling"] = {"reasoning_effort": "high"}
    data["rounds"][0]["winner"] = None
    with pytest.raises(
        ImportRejected, match=r"rounds\[0\]\.models: names a model twice with the same parameters"
    ):
        import_comparison_json(json.dumps(data).encode())
    data["rounds"][0]["answers"][1]["sampling"] = {"temperature": -1}
    with pytest.raises(
        ImportRejected, match=r"rounds\[0\]\.answers\[1\]\.sampling: Temperature must be from 0 to 2"
    ):
        import_comparison_json(json.dumps(data).encode())
