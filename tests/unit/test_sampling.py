"""Reasoning effort and sampling parameters: sent only when set, read back strictly."""

from __future__ import annotations

import pytest

from core.conversation import ChatParams, Message
from core.gateway.request import build_request
from core.sampling import (
    Sampling,
    SamplingError,
    parse_number,
    parse_stop,
    sampling_from_dict,
)


def test_nothing_set_sends_nothing_beyond_the_documented_fields():
    body = build_request([Message(role="user", text="hi")], ChatParams(model="gpt-4o"))
    assert set(body) == {"model", "messages", "stream"}


def test_each_set_parameter_is_sent_and_only_those():
    sampling = Sampling(reasoning_effort="high", temperature=0.2, stop=("END",))
    body = build_request([Message(role="user", text="hi")], ChatParams(model="o3", sampling=sampling))
    assert body["reasoning_effort"] == "high"
    assert body["temperature"] == 0.2
    assert body["stop"] == ["END"]
    assert "top_p" not in body and "seed" not in body


def test_the_stored_shape_reads_back_to_the_same_parameters():
    sampling = Sampling(reasoning_effort="low", top_p=0.9, seed=7, presence_penalty=-1.5, stop=("a", "b"))
    assert sampling.as_dict() == {
        "reasoning_effort": "low",
        "top_p": 0.9,
        "seed": 7,
        "presence_penalty": -1.5,
        "stop": ["a", "b"],
    }
    assert sampling_from_dict(sampling.as_dict()) == sampling


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ({"temperature": 3}, "Temperature must be from 0 to 2, got 3"),
        ({"top_p": "high"}, "Top p must be a number from 0 to 1"),
        ({"reasoning_effort": "max"}, "Reasoning effort must be one of low, medium, high"),
        ({"seed": 1.5}, "Seed must be a whole number"),
        ({"seed": True}, "Seed must be a whole number"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "At most 4 stop sequences"),
        ({"logit_bias": {}}, "Unknown parameter 'logit_bias'"),
        ({"temperature": float("nan")}, "Temperature must be a number"),
        ([1, 2], "Parameters must be an object"),
    ],
)
def test_bad_values_are_refused_with_the_field_named(raw, says):
    with pytest.raises(SamplingError, match=says):
        sampling_from_dict(raw)


def test_typed_values_empty_means_unset():
    assert parse_number("temperature", " ") is None
    assert parse_number("temperature", "0.7") == 0.7
    assert parse_number("seed", "42") == 42
    assert parse_stop("\n") is None
    assert parse_stop("END\n###") == ("END", "###")
    with pytest.raises(SamplingError, match="Presence penalty must be from -2 to 2, got 5"):
        parse_number("presence_penalty", "5")
    with pytest.raises(SamplingError, match="Seed must be a whole number, got 'x'"):
        parse_number("seed", "x")
    with pytest.raises(SamplingError, match="Temperature must be a number from 0 to 2, got 'warm'"):
        parse_number("temperature", "warm")


def test_without_unsets_one_parameter_and_keeps_the_rest():
    sampling = Sampling(temperature=0.5, seed=3)
    assert sampling.without("temperature") == Sampling(seed=3)
    assert Sampling().is_empty() and not sampling.is_empty()
    assert sampling.summary() == "temperature 0.5 · seed 3"
