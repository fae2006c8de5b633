"""Hostile files through every import: YAML numbers Python cannot parse, YAML too large to read
in reasonable time, and keys that appear twice (a parser would silently keep the last one). Each
is refused with a message that names the problem and says what to do."""

from __future__ import annotations

import json

import pytest

from core.formats.comparison import import_comparison_json
from core.formats.conversation import import_json
from core.formats.prompt_set import import_prompt_set
from core.formats.strict import ImportRejected
from core.prompt_sets import PromptSetRejected

HEAD = "format: gptproto-chat.prompt-set\nversion: 1\nname: Demo\n"
CONVERSATION = (
    '{"format": "gptproto-chat.conversation", "version": 1, "params": {"model": "o3"}, '
    '"messages": [{"id": "p1", "role": "user", "text": "Hi"%s}]%s}'
)
COMPARISON = (
    '{"format": "gptproto-chat.comparison", "version": 1, "params": {"model": "o3"}, "rounds": '
    '[{"prompt": {"text": "Hi"}, "models": ["o3", "gpt-4o"], "answers": '
    '[{"model": "o3", "text": "A"%s}, {"model": "gpt-4o", "text": "B"}]}]}'
)


def refusal(raw: bytes, name: str = "set.yaml") -> str:
    with pytest.raises(PromptSetRejected) as refused:
        import_prompt_set(raw, name)
    return str(refused.value)


def test_a_yaml_number_past_what_python_parses_is_refused_with_what_to_do():
    # 5,000 digits: int() raises a plain ValueError past 4,300, which no import caught.
    message = refusal((HEAD + "prompts:\n- text: x\n  count: " + "7" * 5000 + "\n").encode())
    assert message.startswith("prompts[0].count: 7777777777")
    assert "… has more than 18 digits" in message
    assert message.endswith("Check the file, or export it again from this app.")


def test_a_long_yaml_number_is_refused_in_any_notation():
    for literal in ("-" + "1" * 19, "0x" + "f" * 19, "1_000_000_000_000_000_000_000"):
        message = refusal((HEAD + f"prompts:\n- text: {literal}\n").encode())
        assert message.startswith(f"prompts[0].text: {literal[:40]}… has more than 18 digits")


def test_a_date_that_does_not_exist_is_refused_instead_of_crashing():
    message = refusal((HEAD + "prompts:\n- text: 2024-02-30\n").encode())
    assert message == "prompts[0].text: 2024-02-30 is not a valid date; quote it to keep it as text."


def test_yaml_over_its_limit_is_refused_with_the_limit_and_what_to_do():
    # 5 MB + 1 byte of comments: well under the 50 MB a JSON file may have.
    raw = (HEAD + "prompts: [{text: x}]\n").encode()
    raw += b"#" * (5 * 1024 * 1024 + 1 - len(raw))
    assert refusal(raw) == (
        "The file is 5.0 MB; a YAML file may be at most 5.0 MB (YAML takes far longer to read than "
        "JSON, which may be 50.0 MB). Export it as JSON from the Compare page's prompt sets, or "
        "convert it to JSON."
    )
    assert refusal(raw, "set.yml").startswith("The file is 5.0 MB; a YAML file may be at most 5.0 MB")


def test_the_same_size_as_json_is_read():
    prompts = [{"text": "x" * 60_000} for _ in range(90)]  # about 5.2 MB
    raw = json.dumps({"format": "gptproto-chat.prompt-set", "version": 1, "name": "Big", "prompts": prompts})
    assert len(raw) > 5 * 1024 * 1024
    assert len(import_prompt_set(raw.encode(), "set.json").items) == 90


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            HEAD + "name: Other\nprompts: [{text: x}]\n",
            'the file: the key "name" appears twice (line 4, column 1), so which value is meant is '
            "unclear. Keep one of them.",
        ),
        (
            HEAD + "prompts:\n- text: x\n  instructions: a\n  text: y\n",
            'prompts[0]: the key "text" appears twice (line 7, column 3), so which value is meant is '
            "unclear. Keep one of them.",
        ),
        (
            HEAD + "prompts:\n- {text: x, images: [{name: a.png, mime: image/png, name: b.png}]}\n",
            'prompts[0].images[0]: the key "name" appears twice (line 5, column 53)',
        ),
        (HEAD + 'prompts: [{text: x, "text": y}]\n', 'prompts[0]: the key "text" appears twice'),
    ],
    ids=["top-level", "in-a-prompt", "in-an-image", "quoted-and-plain"],
)
def test_a_repeated_yaml_key_is_refused_naming_it(text, expected):
    assert refusal(text.encode()).startswith(expected)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            b'{"format": "gptproto-chat.prompt-set", "version": 1, "name": "A", "name": "B", '
            b'"prompts": [{"text": "x"}]}',
            'the file: the key "name" appears twice, so which value is meant is unclear. Keep one of them.',
        ),
        (
            b'{"format": "gptproto-chat.prompt-set", "version": 1, "name": "A", '
            b'"prompts": [{"text": "x"}, {"text": "y", "instructions": "i", "text": "z"}]}',
            'prompts[1]: the key "text" appears twice',
        ),
    ],
    ids=["top-level", "in-a-prompt"],
)
def test_a_repeated_json_key_in_a_prompt_set_is_refused_naming_it(raw, expected):
    assert refusal(raw, "set.json").startswith(expected)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            CONVERSATION % ("", ', "title": "A", "title": "B"'),
            'the file: the key "title" appears twice, so which value is meant is unclear. Keep one of them.',
        ),
        (
            CONVERSATION % (', "role": "assistant"', ""),
            'messages[0]: the key "role" appears twice',
        ),
        (
            CONVERSATION % (', "usage": {"prompt_tokens": 1, "prompt_tokens": 9}', ""),
            'messages[0].usage: the key "prompt_tokens" appears twice',
        ),
    ],
    ids=["top-level", "in-a-message", "three-deep"],
)
def test_a_repeated_key_in_a_conversation_is_refused_naming_it(raw, expected):
    with pytest.raises(ImportRejected) as refused:
        import_json(raw.encode())
    assert str(refused.value).startswith(expected)


def test_a_repeated_key_in_a_comparison_is_refused_naming_it():
    with pytest.raises(ImportRejected) as refused:
        import_comparison_json((COMPARISON % ', "status": "complete", "status": "failed"').encode())
    assert str(refused.value).startswith('rounds[0].answers[0]: the key "status" appears twice')


def test_the_same_files_without_the_repeat_import():
    assert import_json((CONVERSATION % ("", ', "title": "A"')).encode()).title == "A"
    assert len(import_comparison_json((COMPARISON % ', "status": "failed"').encode()).rounds) == 1
    assert import_prompt_set((HEAD + "prompts: [{text: x}]\n").encode(), "s.yaml").name == "Demo"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (HEAD + "prompts: [{<<: {text: x}}]\n", "line 4, column 12: YAML merge keys (<<) are not accepted"),
        (HEAD + "prompts: !!set {a}\n", "line 4, column 10: the YAML tag !!set is not accepted"),
        (
            HEAD + "prompts: [{text: !!python/name:os.system x}]\n",
            "line 4, column 18: the YAML tag !!python/name:os.system is not accepted",
        ),
        (HEAD + "prompts: [{text: x}]\n---\nname: Two\n", "line 5, column 1: the file holds more than one"),
    ],
    ids=["merge-key", "set-tag", "python-tag", "two-documents"],
)
def test_yaml_beyond_plain_values_is_refused_with_where(text, expected):
    assert refusal(text.encode()).startswith(expected)
