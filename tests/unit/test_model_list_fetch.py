"""`GET /v1/models` against the stand-in: the list with the key in use, and each way it fails."""

from __future__ import annotations

import time

import pytest

from core.gateway.model_list import fetch_model_list
from core.model_catalog import ModelListUnavailable


def test_the_list_is_read_with_the_key_as_a_bearer_token(standin):
    ids = fetch_model_list(standin.base_url, standin.api_key, timeout=5)
    assert ids[:3] == ("o4-mini", "o3", "gpt-4o")
    assert "gpt-4.1-nano" in ids and "whisper-1" in ids  # filtering is the menu's job
    (listing,) = standin.listings
    assert listing.path == "/v1/models"
    assert listing.headers["authorization"] == f"Bearer {standin.api_key}"
    assert standin.requests == []  # chat requests are counted apart


@pytest.mark.parametrize(
    ("fault", "problem"),
    [
        ("404", "the gateway has no model list (HTTP 404)"),
        ("401", "the gateway refused the key for its model list (HTTP 401)"),
        ("malformed", "the model list is not valid JSON"),
        ("wrong-shape", 'the model list is not an object with "object": "list"'),
    ],
)
def test_each_fault_says_why_in_a_few_words(standin, fault, problem):
    standin.models_fault = fault
    with pytest.raises(ModelListUnavailable) as failed:
        fetch_model_list(standin.base_url, standin.api_key, timeout=5)
    assert str(failed.value) == problem


def test_a_wrong_key_is_refused_and_never_quoted(standin):
    # The stand-in's 401 quotes the key back, as some gateways do; the reason given does not.
    with pytest.raises(ModelListUnavailable) as failed:
        fetch_model_list(standin.base_url, "sk-wrong-key-123", timeout=5)
    assert str(failed.value) == "the gateway refused the key for its model list (HTTP 401)"


def test_a_slow_gateway_is_given_up_on_at_the_timeout(standin):
    standin.models_fault = "slow"  # answers after 5 s
    started = time.monotonic()
    with pytest.raises(ModelListUnavailable) as failed:
        fetch_model_list(standin.base_url, standin.api_key, timeout=0.5)
    assert time.monotonic() - started < 4.0
    assert str(failed.value) == "the gateway did not send its model list within 0.5 s"


def test_a_gateway_nobody_answers_at(standin):
    address = standin.base_url
    standin.stop()
    with pytest.raises(ModelListUnavailable) as failed:
        fetch_model_list(address, "sk-any", timeout=1)
    assert str(failed.value) == "the gateway could not be reached for its model list"
