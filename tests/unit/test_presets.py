"""Presets checked before they are saved, and their file: an export imports back the same, and a
file that is wrong or hostile is refused with where, what and what to do, keeping nothing."""

from __future__ import annotations

import json

import pytest

from core.formats.preset import export_presets, import_presets
from core.formats.preset_schema import SCHEMA_PATH, json_schema_text
from core.presets import Preset, PresetRejected, check_preset, describe, may_edit, starters_from_text
from core.sampling import Sampling

WRITER = Preset(
    "Writer",
    "gpt-4o",
    "Write plainly.\nNo jargon.",
    "system",
    Sampling(reasoning_effort="high", temperature=0.3, seed=7, stop=("END", "STOP")),
    ("Draft a memo", "Shorten this"),
)
PLAIN = Preset("Plain", "o4-mini")


def good_file(**changes: object) -> dict:
    entry: dict[str, object] = {
        "name": "Reviewer",
        "model": "o3",
        "instructions": "Review the code.",
        "instructions_role": "developer",
        "parameters": {"reasoning_effort": "low", "top_p": 0.5},
        "starters": ["Review this diff"],
    }
    entry.update(changes)
    return {"format": "gptproto-chat.presets", "version": 1, "presets": [entry]}


def refusal(data: object, file_name: str = "presets.json") -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    with pytest.raises(PresetRejected) as caught:
        import_presets(raw, file_name)
    return str(caught.value)


def test_an_export_imports_back_the_same_presets_new_and_unpublished():
    stored = [
        Preset(**{**WRITER.__dict__, "id": "abc", "published": True}),
        Preset(**{**PLAIN.__dict__, "id": "def"}),
    ]
    exported = export_presets(stored)
    data = json.loads(exported)
    assert data["format"] == "gptproto-chat.presets" and data["version"] == 1
    assert data["presets"][0] == {
        "name": "Writer",
        "model": "gpt-4o",
        "instructions": "Write plainly.\nNo jargon.",
        "instructions_role": "system",
        "parameters": {"reasoning_effort": "high", "temperature": 0.3, "seed": 7, "stop": ["END", "STOP"]},
        "starters": ["Draft a memo", "Shorten this"],
    }
    assert data["presets"][1]["parameters"] == {}  # nothing set, nothing written
    assert import_presets(exported.encode(), "presets.json") == [WRITER, PLAIN]


def test_a_yaml_file_imports_too():
    raw = b"format: gptproto-chat.presets\nversion: 1\npresets:\n- {name: Y, model: gpt-4o}\n"
    assert import_presets(raw, "team.yaml") == [Preset("Y", "gpt-4o")]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"parameters": {"temperature": 9}},
            "presets[0] (Reviewer): parameters: Temperature must be from 0 to 2, got 9.",
        ),
        (
            {"parameters": {"logit_bias": {"50256": -100}}},
            "presets[0] (Reviewer): parameters: Unknown parameter 'logit_bias'; the known ones are",
        ),
        (
            {"parameters": {"reasoning_effort": "max"}},
            "parameters: Reasoning effort must be one of low, medium, high, got 'max'.",
        ),
        ({"parameters": {"seed": "7"}}, "parameters: Seed must be a whole number, got '7'."),
        ({"parameters": ["temperature"]}, "presets[0].parameters: must be an object."),
        ({"model": "gpt 4o; rm -rf"}, "presets[0].model: must be a model id"),
        ({"instructions_role": "root"}, "presets[0].instructions_role:"),
        ({"name": ""}, "presets[0].name:"),
        ({"name": "   "}, "presets[0] (   ): Give the preset a name."),
        ({"starters": ["a", "b", "c", "d", "e"]}, "presets[0].starters:"),
        ({"starters": ["x" * 301]}, "presets[0].starters[0]:"),
        ({"instructions": "x" * 20_001}, "The instructions is 20,001 characters long; the limit is 20,000."),
    ],
)
def test_a_wrong_preset_is_refused_saying_where_and_what(changes, expected):
    assert expected in refusal(good_file(**changes))


def test_a_hostile_or_foreign_file_is_refused_before_anything_is_read():
    assert "is not a GPTProto Chat presets file" in refusal({"format": "gptproto-chat.prompt-set"})
    assert "Pick a file exported from the Conversations page's presets" in refusal({"format": "x"})
    twice = b'{"format": "gptproto-chat.presets", "version": 1, "format": "x", "presets": []}'
    assert 'the key "format" appears twice' in refusal(twice)
    deep = good_file(parameters={"stop": [[[[[[[[["x"]]]]]]]]]})
    assert "nests deeper than 8 levels" in refusal(deep)
    bomb = b"format: gptproto-chat.presets\nversion: 1\na: &a [x]\npresets: [*a, *a]\n"
    assert "aliases" in refusal(bomb, "bomb.yml")
    assert "presets: must not be empty." in refusal({**good_file(), "presets": []})


def test_check_preset_tidies_and_refuses_with_what_to_do():
    tidy = check_preset(Preset("  Daily   standup ", "o3", starters=(" Go ", "", "  ")))
    assert tidy.name == "Daily standup" and tidy.starters == ("Go",)
    with pytest.raises(PresetRejected, match="Pick the model the preset starts with"):
        check_preset(Preset("X", " "))
    with pytest.raises(PresetRejected, match=r"limit is 100\. Shorten it"):
        check_preset(Preset("n" * 101, "o3"))
    with pytest.raises(PresetRejected, match=r"at most 4 starter prompts; this one has 5\. Remove some"):
        check_preset(Preset("X", "o3", starters=("1", "2", "3", "4", "5")))
    with pytest.raises(PresetRejected, match="limit is 10"):
        check_preset(Preset("X", "o3", "eleven char"), max_instructions_chars=10)
    assert starters_from_text("One\n\n  Two  \n") == ("One", "Two")


def test_who_may_change_a_preset_and_its_line():
    assert may_edit(published=False, owned=True, is_admin=False)
    assert not may_edit(published=False, owned=False, is_admin=True)
    assert not may_edit(published=True, owned=True, is_admin=False)
    assert may_edit(published=True, owned=False, is_admin=True)
    assert describe(WRITER) == "gpt-4o · effort high · temperature 0.3 · seed 7 · stop ×2 · 2 starters"


def test_the_committed_json_schema_is_what_the_models_generate():
    committed = SCHEMA_PATH.read_text(encoding="utf-8")
    assert committed == json_schema_text(), "regenerate it: .venv/bin/python -m core.formats.preset_schema"
    entry = json.loads(committed)["$defs"]["PresetEntry"]
    assert entry["properties"]["starters"]["items"] == {"maxLength": 300, "type": "string"}
    assert entry["required"] == ["name", "model"]
