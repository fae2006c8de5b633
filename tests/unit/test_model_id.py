"""A custom model id is checked before it is used."""

from __future__ import annotations

import pytest

from core.gateway.request import InputError, validate_model_id


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("o4-mini", "o4-mini"),
        ("  gpt-4o \n", "gpt-4o"),
        ("openai/gpt-4o:2024-08-06", "openai/gpt-4o:2024-08-06"),
        ("Meta_Llama-3.1.70B", "Meta_Llama-3.1.70B"),
        ("m" * 100, "m" * 100),
    ],
)
def test_valid_ids_are_trimmed_and_kept(raw, expected):
    assert validate_model_id(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "Type a model id, e.g. o4-mini"),
        ("   ", "Type a model id"),
        ("m" * 101, "101 characters long; the limit is 100"),
        ("gpt 4o", "remove space"),
        ("gpt-4o;rm -rf", "remove space ';'"),
        ("gpt-4o\u00e9", "remove 'é'"),
        ("gpt\u00094o", r"remove '\\t'"),
        ("gpt-4o?x=1&y", "remove '&' '=' '\\?'"),
    ],
)
def test_bad_ids_are_refused_saying_what_is_allowed(raw, message):
    with pytest.raises(InputError, match=message) as refused:
        validate_model_id(raw)
    if raw.strip() and len(raw) <= 100:
        assert "only letters, digits and . _ : / - (no spaces)" in str(refused.value)
