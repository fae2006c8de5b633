"""Prompt sets on the Compare page against the stand-in: written in the editor with their own
instructions and images, run prompt by prompt through two models into one comparison, with a
summary whose figures are the stand-in's; imported from YAML, refused with a reason when broken."""

from __future__ import annotations

import io
import json
import statistics

import pytest
import yaml
from PIL import Image
from streamlit.testing.v1 import AppTest

from components.state import compare as compare_state
from components.state import prompt_sets as sets_state
from devtools.standin import Reply
from tests.app.helpers import as_read
from tests.app.test_compare_page import PRICES, start_compare

TWO = ["o4-mini", "gpt-4o"]  # gpt-4o has a price (2.5/10 per 1M); o4-mini has none
PROMPTS = ["Describe a prime.", "Now in one word.", "What colour is this?"]


@pytest.fixture
def gateway(gateway_env, monkeypatch):
    """The stand-in, with the prices the cost estimates use."""
    monkeypatch.setenv("GPTPROTO_PRICES", PRICES)
    return gateway_env


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (0, 0, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, at.exception
    return at


def draft_ids(at: AppTest) -> list[str]:
    return [item.id for item in at.session_state[sets_state.SET_DRAFT].items]


def write_set(at: AppTest) -> None:
    """Three prompts typed into the editor: the second with its own instructions, the third with
    an image; then saved."""
    at.text_input(key=sets_state.SET_NAME).set_value("Demo day")
    click(at, sets_state.SET_ADD)
    click(at, sets_state.SET_ADD)
    first, second, third = draft_ids(at)
    for item, text in zip((first, second, third), PROMPTS, strict=True):
        at.text_area(key=sets_state.item_key("text", item)).set_value(text)
    at.text_area(key=sets_state.item_key("instructions", second)).set_value("Answer in one word.")
    at.file_uploader(key=sets_state.item_key("files0", third)).upload("blue.png", png(), "image/png")
    at.run()
    click(at, sets_state.SET_SAVE)
    assert "Saved “Demo day” (3 prompts)" in " ".join(s.value for s in at.success)


def script_round(standin, number: int) -> None:
    # Figures chosen here, so the summary's sums are known: o4-mini 10n/2n, gpt-4o 20n/5n tokens.
    standin.enqueue_for(
        "o4-mini", Reply(text=f"Small {number}.", prompt_tokens=10 * number, completion_tokens=2 * number)
    )
    standin.enqueue_for(
        "gpt-4o", Reply(text=f"Big {number}.", prompt_tokens=20 * number, completion_tokens=5 * number)
    )


def test_a_prompt_set_runs_in_order_into_one_comparison_with_its_summary(gateway):
    at = start_compare(TWO)
    at.text_area(key=compare_state.OPTIONS.instructions).set_value("Be brief.")
    at.run()
    write_set(at)
    assert at.selectbox(key=sets_state.SET_PICK).value is not None  # the saved set is picked
    estimate = " ".join(c.value for c in at.caption if c.value.startswith("Estimated cost"))
    assert (
        "3 prompt(s) × 2 models (6 requests)" in estimate and "Not counted, no price set: o4-mini" in estimate
    )
    for number in (1, 2, 3):
        script_round(gateway, number)
    click(at, sets_state.RUN_ALL)

    requests = gateway.requests
    assert len(requests) == 6
    # In order: each prompt to both models, then the next prompt; each prompt sent on its own.
    for number, text in enumerate(PROMPTS):
        pair = requests[2 * number : 2 * number + 2]
        assert sorted(r.body["model"] for r in pair) == sorted(TWO)
        for request in pair:
            messages = request.body["messages"]
            role = "system" if request.body["model"] == "gpt-4o" else "developer"
            instructions = "Answer in one word." if number == 1 else "Be brief."
            assert messages[0] == {"role": role, "content": instructions}
            assert len(messages) == 2
            if number < 2:
                assert messages[1] == {"role": "user", "content": text}
            else:
                parts = messages[1]["content"]
                assert parts[0] == {"type": "text", "text": text}
                assert parts[1]["type"] == "image_url"
                assert parts[1]["image_url"]["url"].startswith("data:image/png;base64,")
    rounds = at.session_state[compare_state.ROUNDS]
    assert [r.prompt for r in rounds] == PROMPTS
    assert "All 3 prompts of “Demo day” ran." in " ".join(i.value for i in at.info)

    # The summary over every round, per model, from what the stand-in sent.
    summary = at.dataframe[1].value.set_index("model")
    assert list(summary.index) == TWO
    assert summary.loc["o4-mini", "prompt tokens"] == 10 + 20 + 30
    assert summary.loc["o4-mini", "completion tokens"] == 2 + 4 + 6
    assert summary.loc["o4-mini", "total tokens"] == 72
    assert summary.loc["gpt-4o", "total tokens"] == (20 + 40 + 60) + (5 + 10 + 15)
    # gpt-4o: 120 prompt tokens at $2.5 and 30 completion tokens at $10 per million.
    assert summary.loc["gpt-4o", "cost (USD, est.)"] == f"≈ ${(120 * 2.5 + 30 * 10) / 1e6:.4f}"
    assert summary.loc["o4-mini", "cost (USD, est.)"] == "no price set"
    assert (summary["answers"] == "3/3").all()
    for column, model in enumerate(TWO):
        first_tokens = [r.columns[column].answer.timing.first_token_s for r in rounds]
        assert summary.loc[model, "median first token (s)"] == round(statistics.median(first_tokens), 2)
    assert len(at.get("vega_lite_chart")) >= 3  # the round's chart and the two of the summary


def test_run_next_sends_one_prompt_at_a_time(gateway):
    at = start_compare(TWO)
    write_set(at)
    click(at, sets_state.RUN_NEXT)
    assert len(gateway.requests) == 2
    assert [r.prompt for r in at.session_state[compare_state.ROUNDS]] == PROMPTS[:1]
    assert at.button(key=sets_state.RUN_NEXT).label == "Run next (2 of 3)"
    click(at, sets_state.RUN_NEXT)
    assert [r.prompt for r in at.session_state[compare_state.ROUNDS]] == PROMPTS[:2]
    assert len(gateway.requests) == 4


def test_a_yaml_prompt_set_imports_and_a_broken_one_is_refused(gateway):
    at = start_compare(TWO)
    good = yaml.safe_dump(
        {
            "format": "gptproto-chat.prompt-set",
            "version": 1,
            "name": "From YAML",
            "prompts": [{"text": "One"}, {"text": "Two", "instructions": "Be terse."}],
        }
    ).encode()
    at.file_uploader(key=sets_state.SET_IMPORT_FILE).upload("set.yaml", good, "application/yaml").run()
    click(at, sets_state.SET_IMPORT)
    assert "Imported “From YAML” (2 prompts)" in " ".join(s.value for s in at.success)
    assert at.selectbox(key=sets_state.SET_PICK).value is not None
    assert sets_state.PENDING_PICK not in at.session_state

    bomb = b'format: gptproto-chat.prompt-set\nversion: 1\nname: &n "x"\nprompts: [{text: *n}]\n'
    at.file_uploader(key=sets_state.SET_IMPORT_FILE).upload("bomb.yml", bomb, "application/yaml").run()
    click(at, sets_state.SET_IMPORT)
    error = " ".join(e.value for e in at.error)
    assert "bomb.yml was not imported" in error and "line 4" in error and "aliases" in error


def test_a_prompt_set_without_a_name_is_not_saved(gateway):
    at = start_compare(TWO)
    at.text_area(key=sets_state.item_key("text", draft_ids(at)[0])).set_value("Hello")
    at.run()
    click(at, sets_state.SET_SAVE)
    assert "Not saved: Give the prompt set a name." in " ".join(e.value for e in at.error)


def import_file(at: AppTest, name: str, raw: bytes) -> str:
    """Upload and import a file; the error shown, if any, as read."""
    at.file_uploader(key=sets_state.SET_IMPORT_FILE).upload(name, raw, "application/octet-stream").run()
    click(at, sets_state.SET_IMPORT)
    return as_read(" ".join(e.value for e in at.error))


def test_a_yaml_set_with_a_huge_number_or_a_repeated_key_is_refused_and_nothing_is_saved(gateway):
    at = start_compare(TWO)
    head = "format: gptproto-chat.prompt-set\nversion: 1\nname: Hostile\nprompts:\n- text: x\n"
    error = import_file(at, "digits.yaml", (head + "  count: " + "9" * 5000 + "\n").encode())
    assert "digits.yaml was not imported: prompts[0].count: 9999" in error
    assert "has more than 18 digits" in error and "export it again from this app" in error
    error = import_file(at, "twice.yml", (head + "  text: y\n").encode())
    assert 'twice.yml was not imported: prompts[0]: the key "text" appears twice (line 6, column 3)' in error
    at.run()  # a stored set would be listed from this run on
    assert sets_state.SET_PICK not in [box.key for box in at.selectbox]


def test_a_set_too_large_for_yaml_is_exported_as_json_only(gateway, monkeypatch):
    monkeypatch.setenv("GPTPROTO_MAX_PROMPT_CHARS", "0")  # no limit: a few long prompts make 5 MB
    at = start_compare(TWO)
    prompts = [{"text": f"{n} " + "x" * 900_000} for n in range(6)]  # 5.2 MB
    data = {"format": "gptproto-chat.prompt-set", "version": 1, "name": "Big", "prompts": prompts}
    assert import_file(at, "big.json", json.dumps(data).encode()) == ""
    assert "Imported “Big” (6 prompts)" in " ".join(s.value for s in at.success)
    yaml_button = at.get("download_button")[1].proto
    assert yaml_button.label == "Export YAML" and yaml_button.disabled
    assert yaml_button.help.startswith("As YAML this set is 5.2 MB, over the 5.0 MB a YAML import accepts")
    json_button = at.get("download_button")[0].proto
    assert json_button.label == "Export JSON" and not json_button.disabled
