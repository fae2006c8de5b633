"""The gateway's model list as the pickers offer it: read strictly, grouped by family, chat models
only, the admin's hidden and extra ids, the favourites first."""

from __future__ import annotations

import json

import pytest

from core.model_catalog import (
    ModelListUnavailable,
    build_menu,
    can_chat,
    fallback_note,
    is_hidden,
    model_family,
    parse_model_list,
)


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("o4-mini", "o-series"),
        ("o3", "o-series"),
        ("o1-preview", "o-series"),
        ("openai/o3-mini", "o-series"),
        ("gpt-4o", "GPT-4o"),
        ("gpt-4o-mini-2024-07-18", "GPT-4o"),
        ("chatgpt-4o-latest", "GPT-4o"),
        ("gpt-4.1", "GPT-4.1"),
        ("GPT-4.1-Nano", "GPT-4.1"),
        ("gpt-4-turbo", "GPT-4"),
        ("gpt-5-mini", "GPT-5"),
        ("gpt-3.5-turbo", "GPT-3.5"),
        ("claude-sonnet-4-5", "Claude"),
        ("anthropic/claude-3-7-sonnet-20250219", "Claude"),
        ("gemini-2.5-flash", "Gemini"),
        ("meta-llama/llama-3.1-70b-instruct", "Llama"),
        ("deepseek-r1", "DeepSeek"),
        ("mistral-large-latest", "Mistral"),
        ("grok-4", "Grok"),
        ("qwen3-235b", "Qwen"),
        ("omni-model", "Other"),  # starts with o but no digit: not o-series
        ("my-own-model", "Other"),
    ],
)
def test_family_from_the_id(model, family):
    assert model_family(model) == family


@pytest.mark.parametrize(
    "model",
    [
        "text-embedding-3-small",
        "text-embedding-ada-002",
        "gemini-embedding-001",
        "mistral-embed",
        "dall-e-3",
        "gpt-image-1",
        "imagen-4.0-generate-001",
        "sora-2",
        "tts-1",
        "tts-1-hd",
        "gpt-4o-mini-tts",
        "whisper-1",
        "gpt-4o-transcribe",
        "omni-moderation-latest",
        "text-moderation-stable",
        "gpt-4o-realtime-preview",
        "davinci-002",
        "babbage-002",
    ],
)
def test_models_that_cannot_chat(model):
    assert not can_chat(model)


@pytest.mark.parametrize(
    "model",
    ["o4-mini", "gpt-4o", "gpt-4.1-nano", "claude-sonnet-4-5", "gemini-2.5-flash", "gpt-4o-search-preview"],
)
def test_chat_models_can_chat(model):
    assert can_chat(model)


def _listed(*items: object) -> bytes:
    return json.dumps({"object": "list", "data": list(items)}).encode()


def _model(model: str, **extra: object) -> dict[str, object]:
    return {"id": model, "object": "model", "created": 1_700_000_000, "owned_by": "openai", **extra}


def test_a_list_in_the_openai_format_gives_its_ids_in_order_each_once():
    raw = _listed(_model("gpt-4o"), _model("o3"), _model("gpt-4o"), {"id": "bare", "object": "model"})
    assert parse_model_list(raw) == ("gpt-4o", "o3", "bare")


def test_ids_the_app_could_not_send_are_left_out():
    raw = _listed(_model("gpt 4o; drop"), _model("m" * 101), _model("o3"))
    assert parse_model_list(raw) == ("o3",)


def test_an_empty_list_is_a_list():
    assert parse_model_list(_listed()) == ()


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b'{"object": "list", "data": [', "the model list is not valid JSON"),
        (b"\xff\xfe", "the model list is not valid JSON"),
        (b"<html>Not Found</html>", "the model list is not valid JSON"),
        (b'["gpt-4o"]', 'the model list is not an object with "object": "list"'),
        (b'{"models": ["gpt-4o"]}', 'the model list is not an object with "object": "list"'),
        (b'{"object": "list", "data": {"id": "gpt-4o"}}', 'the model list has no "data" array'),
        (b'{"object": "list"}', 'the model list has no "data" array'),
        (_listed("gpt-4o"), "data[0] of the model list is not an object"),
        (_listed(_model("o3"), {"object": "model"}), 'data[1] of the model list has no "id" string'),
        (_listed({"id": 4, "object": "model"}), 'data[0] of the model list has no "id" string'),
        (_listed({"id": "o3"}), 'data[0] of the model list is not "object": "model"'),
        (_listed(_model("o3", created="yesterday")), 'data[0]."created" of the model list is not a int'),
        (_listed(_model("o3", owned_by=7)), 'data[0]."owned_by" of the model list is not a str'),
    ],
)
def test_anything_else_is_refused_saying_what_is_wrong(raw, problem):
    with pytest.raises(ModelListUnavailable) as refused:
        parse_model_list(raw)
    assert str(refused.value) == problem


def test_a_list_too_large_is_refused_before_it_is_parsed():
    with pytest.raises(ModelListUnavailable, match="larger than 2 MB"):
        parse_model_list(b" " * (2 * 1024 * 1024 + 1))


LISTED = (
    "o4-mini",
    "gpt-4o",
    "gpt-4.1-nano",
    "gpt-4.1",
    "claude-sonnet-4-5",
    "o3-mini",
    "text-embedding-3-small",
    "dall-e-3",
    "whisper-1",
    "zeta-chat",
)


def test_the_menu_has_the_favourites_first_then_chat_models_by_family():
    menu = build_menu(("o4-mini", "gpt-4o"), LISTED)
    assert menu.favourites == ("o4-mini", "gpt-4o")
    assert menu.groups == (
        ("o-series", ("o3-mini",)),
        ("GPT-4.1", ("gpt-4.1", "gpt-4.1-nano")),
        ("Claude", ("claude-sonnet-4-5",)),
        ("Other", ("zeta-chat",)),
    )
    assert menu.options() == [
        "o4-mini",
        "gpt-4o",
        "o3-mini",
        "gpt-4.1",
        "gpt-4.1-nano",
        "claude-sonnet-4-5",
        "zeta-chat",
    ]
    assert menu.note is None


def test_favourites_stay_even_when_the_gateway_does_not_list_them():
    menu = build_menu(("o4-mini", "my-team-model"), ("gpt-4o",))
    assert menu.options() == ["o4-mini", "my-team-model", "gpt-4o"]


def test_hidden_ids_and_patterns_leave_the_list_and_extra_ids_join_it():
    menu = build_menu(
        ("o4-mini",),
        LISTED,
        hidden=("GPT-4.1-NANO", "claude-*"),
        extra=("text-embedding-3-small", "house-model"),
    )
    # an extra id is offered even if it looks like no chat model; Other is sorted by id
    assert menu.options() == [
        "o4-mini",
        "o3-mini",
        "gpt-4.1",
        "gpt-4o",
        "house-model",
        "text-embedding-3-small",
        "zeta-chat",
    ]


def test_extra_ids_are_offered_when_the_list_cannot_be_read():
    note = fallback_note("the gateway has no model list (HTTP 404)")
    menu = build_menu(("o4-mini", "gpt-4o"), None, extra=("house-model",), hidden=("gpt-4o",), note=note)
    # hidden acts on the gateway's list and the extra ids, not on the configured favourites
    assert menu.options() == ["o4-mini", "gpt-4o", "house-model"]
    assert menu.note == (
        "Showing the configured models: the gateway has no model list (HTTP 404). "
        "You can still type a custom model id."
    )


def test_the_picked_id_is_kept_among_the_options_when_the_list_lacks_it():
    menu = build_menu(("o4-mini",), ("gpt-4o",))
    assert menu.options("o1-preview", "gpt-4o", "") == ["o4-mini", "gpt-4o", "o1-preview"]


def test_labels_name_the_family_beside_each_listed_id():
    menu = build_menu(("o4-mini",), LISTED)
    assert menu.label("o4-mini") == "o4-mini"
    assert menu.label("gpt-4.1-nano") == "GPT-4.1 · gpt-4.1-nano"
    assert menu.label("zeta-chat") == "Other · zeta-chat"
    assert menu.label("o1-preview") == "o1-preview"  # typed, or picked before: as it is


def test_hidden_matches_whole_ids_without_regard_to_case():
    assert is_hidden("GPT-4o", ("gpt-4o",))
    assert not is_hidden("gpt-4o-mini", ("gpt-4o",))
    assert is_hidden("gpt-4o-mini", ("gpt-4o*",))


def test_only_the_models_a_person_may_use_are_offered():
    menu = build_menu(("o4-mini", "gpt-4o"), LISTED, extra=("house-model",), allowed=("o*", "gpt-4.1*"))
    assert menu.options() == ["o4-mini", "o3-mini", "gpt-4.1", "gpt-4.1-nano"]
