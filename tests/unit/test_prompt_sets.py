"""Prompt sets: what a presenter may save, the JSON and YAML files and what an import refuses, and
the estimated cost of a run."""

from __future__ import annotations

import base64
import io
import json

import pytest
import yaml
from PIL import Image

from core.conversation import ChatParams
from core.formats.prompt_set import export_prompt_set, import_prompt_set
from core.images import ImageLimits
from core.prompt_sets import (
    ASSUMED_COMPLETION_TOKENS,
    PromptItem,
    PromptSet,
    PromptSetRejected,
    TextLimits,
    check_prompt_set,
    estimate_run,
)


def png(width: int = 8, height: int = 6) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 200, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


def file_of(prompts: list[dict], name: str = "Demo") -> dict:
    return {"format": "gptproto-chat.prompt-set", "version": 1, "name": name, "prompts": prompts}


def test_a_set_round_trips_through_json_and_yaml_with_its_images():
    image = {"name": "leaf.png", "mime": "image/png", "data": base64.b64encode(png()).decode()}
    raw = json.dumps(
        file_of([{"text": "Look", "images": [image]}, {"text": "Again", "instructions": "Terse."}])
    )
    first = import_prompt_set(raw.encode(), "set.json")
    assert [i.text for i in first.items] == ["Look", "Again"] and first.items[1].instructions == "Terse."
    assert first.items[0].images[0].mime == "image/png" and first.items[0].images[0].width == 8
    for text, name in (
        (export_prompt_set(first, "json"), "a.json"),
        (export_prompt_set(first, "yaml"), "a.yml"),
    ):
        back = import_prompt_set(text.encode(), name)
        assert back.name == "Demo" and back.items == first.items
    assert yaml.safe_load(export_prompt_set(first, "yaml"))["prompts"][1]["instructions"] == "Terse."


@pytest.mark.parametrize(
    ("raw", "name", "fragment"),
    [
        (b'{"format": "x"}', "a.json", 'is not a GPTProto Chat prompt set (its "format"'),
        (json.dumps(file_of([])).encode(), "a.json", "prompts: must not be empty"),
        (json.dumps(file_of([{"text": 5}])).encode(), "a.json", "prompts[0].text: must be text"),
        (json.dumps(file_of([{"text": ""}])).encode(), "a.json", "Prompt 1: write a prompt or attach"),
        (json.dumps(file_of([{"text": "x"}], name="")).encode(), "a.json", "name: must not be empty"),
        (b'{"format": NaN}', "a.json", "NaN is not a number JSON allows"),
        (b"[" * 100 + b"]" * 100, "a.json", "nests deeper than"),
        (b"\xff\xfe", "a.json", "not UTF-8"),
        (b"a: [1, 2\nb: 3\n", "a.yaml", "line 2, column 2: the file is not valid YAML"),
        (b"format: gptproto-chat.prompt-set\nversion: 1\nname: x\nprompts:\n- text: 2024-01-01\n", "a.yml",
         "prompts[0].text: must be text"),
        (b"x: &a [1]\ny: *a\n", "a.yaml", "line 2, column 4: YAML aliases"),
        (b"[" * 20 + b"]" * 20, "a.yaml", "nests deeper than 8 levels"),
        (b"1: x\n", "a.yaml", "the file: the key 1 must be text"),
        (b"format: gptproto-chat.prompt-set\nversion: 1\nname: x\nprompts:\n- text: .inf\n", "a.yaml",
         "prompts[0].text: .inf is not a finite number"),
        (b'format: gptproto-chat.prompt-set\nversion: 1\nname: "a\\0b"\nprompts: [{text: x}]\n', "a.yaml",
         "name: contains a NUL character"),
    ],
    ids=[
        "not-a-set", "no-prompts", "number-as-text", "empty-prompt", "no-name", "nan", "deep-json",
        "not-utf8", "broken-yaml", "yaml-date", "yaml-alias", "deep-yaml", "yaml-number-key", "yaml-inf",
        "yaml-nul",
    ],
)  # fmt: skip
def test_an_import_is_refused_with_where_and_what(raw, name, fragment):
    with pytest.raises(PromptSetRejected) as refused:
        import_prompt_set(raw, name)
    assert fragment in str(refused.value)


def test_images_in_an_import_pass_the_upload_checks():
    broken = {"name": "x.png", "mime": "image/png", "data": base64.b64encode(b"not an image").decode()}
    with pytest.raises(PromptSetRejected, match=r"prompts\[0\]\.images\[0\]: x\.png is not an image"):
        import_prompt_set(json.dumps(file_of([{"text": "t", "images": [broken]}])).encode(), "s.json")
    too_many = [
        {"name": f"{n}.png", "mime": "image/png", "data": base64.b64encode(png()).decode()} for n in range(3)
    ]
    raw = json.dumps(file_of([{"text": "t", "images": too_many}])).encode()
    with pytest.raises(PromptSetRejected, match="Prompt 1: 3 images attached; at most 2 per prompt"):
        import_prompt_set(raw, "s.json", ImageLimits(max_count=2))


def test_what_a_presenter_may_save():
    ok = check_prompt_set("  Demo   day ", [PromptItem("One")])
    assert ok.name == "Demo day"
    for name, items, fragment in [
        ("", [PromptItem("x")], "Give the prompt set a name."),
        ("n" * 101, [PromptItem("x")], "the limit is 100"),
        ("Demo", [], "Add at least one prompt."),
        ("Demo", [PromptItem("ok"), PromptItem("  ")], "Prompt 2: write a prompt"),
        ("Demo", [PromptItem("x" * 11)], "Prompt 1: The prompt is 11 characters long; the limit is 10."),
        (
            "Demo",
            [PromptItem("x", "y" * 6)],
            "Prompt 1: The instructions is 6 characters long; the limit is 5.",
        ),
    ]:
        with pytest.raises(PromptSetRejected) as refused:
            check_prompt_set(name, items, TextLimits(prompt_chars=10, instructions_chars=5))
        assert fragment in str(refused.value)


def test_the_estimate_counts_each_request_and_states_its_assumption():
    items = [PromptItem("a" * 400), PromptItem("b" * 800, instructions="c" * 40)]
    prices = {"gpt-4o": (2.5, 10.0)}
    estimate = estimate_run(items, ["gpt-4o", "o3"], ChatParams(model="gpt-4o"), prices)
    # Per request: 4 tokens per message + characters / 4; the second has its own instructions.
    first, second = 4 + 100, (4 + 10) + (4 + 200)
    assert estimate.prompt_tokens == 2 * (first + second)  # two models
    assert estimate.completion_tokens == ASSUMED_COMPLETION_TOKENS
    expected = ((first + second) * 2.5 + 2 * ASSUMED_COMPLETION_TOKENS * 10.0) / 1e6
    assert estimate.usd == pytest.approx(expected)
    text = estimate.describe()
    assert f"≈ ${expected:.4f} for 2 prompt(s) × 2 models (4 requests)" in text
    assert "500 completion tokens assumed per answer" in text and "no price set: o3" in text
    # With a limit set, each answer is priced at that limit; carried prompts see the earlier ones.
    limited = estimate_run(items, ["gpt-4o"], ChatParams(model="gpt-4o", max_completion_tokens=50), prices)
    assert limited.completion_tokens == 50
    carried = estimate_run(items, ["gpt-4o"], ChatParams(model="gpt-4o"), prices, carry=True)
    assert carried.prompt_tokens == first + second + (first + ASSUMED_COMPLETION_TOKENS)


def test_a_stored_set_keeps_its_id():
    checked = check_prompt_set("Named", [PromptItem("x")], set_id="abc")
    assert checked == PromptSet("Named", (PromptItem("x"),), "abc")
