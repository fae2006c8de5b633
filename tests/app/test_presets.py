"""Presets against the stand-in: written on the Conversations page, a new chat and a comparison
start from one and the requests carry its model, instructions and parameters; a starter prompt
click sends it; an admin publishes one that another person uses but cannot change; export and
import round trip, and a hostile file is refused with what is wrong and where.

Who is using the app is set by replacing `components.plumbing.identity.current_identity` (what decides
whose presets are read and who is an admin)."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from components.state import chat as chat_state
from components.state import compare as compare_state
from components.state import presets as state
from core.identity import Identity
from tests.app.helpers import app_on, as_read, errors, open_page, send

ADMIN = Identity("root", "Rita Root", "rita@example.com", "oidc", is_admin=True)
ANA = Identity("ana", "Ana", "ana@example.com", "oidc", is_admin=False)
INSTRUCTIONS = "You review code. Bugs first, style last."


def look_as(monkeypatch, person: Identity) -> None:
    monkeypatch.setattr("components.plumbing.identity.current_identity", lambda settings: person)


def ok(at: AppTest) -> AppTest:
    assert not at.exception, at.exception
    return at


def click(at: AppTest, key: str) -> AppTest:
    return ok(at.button(key=key).click().run())


def successes(at: AppTest) -> str:
    return as_read(" ".join(s.value for s in at.success))


def conversations_page() -> AppTest:
    return ok(app_on("history").run())


def write_reviewer(at: AppTest) -> str:
    """A preset typed into the editor and saved: o3, instructions, effort high, seed 7 and two
    starter prompts; its id."""
    at.text_input(key=state.NAME).set_value("Reviewer")
    at.text_input(key=state.MODEL).set_value("o3")
    at.text_area(key=state.INSTRUCTIONS).set_value(INSTRUCTIONS)
    at.selectbox(key=state.EFFORT).set_value("high")
    at.text_input(key=state.number_key("seed")).set_value("7")
    at.text_area(key=state.STARTERS).set_value("Review this diff\nWhat could break here?")
    click(at, state.SAVE)
    assert "Saved “Reviewer”." in successes(at)
    preset_id = at.session_state[state.PICK]
    assert preset_id is not None
    return str(preset_id)


def upload(at: AppTest, name: str, raw: bytes) -> None:
    """Pick a file in the presets' import box, then press Import."""
    ok(at.file_uploader(key=state.IMPORT_FILE).upload(name, raw, "application/json").run())
    click(at, state.IMPORT)


def export_button(at: AppTest):
    [button] = [b for b in at.get("download_button") if b.key == state.EXPORT]
    return button


def choose(at: AppTest, key: str, preset_id: str) -> AppTest:
    return ok(at.selectbox(key=key).set_value(preset_id).run())


def test_a_new_chat_starts_from_a_preset_and_a_starter_click_sends_it(gateway_env):
    at = conversations_page()
    preset_id = write_reviewer(at)

    open_page(at, "chat")
    ok(at.run())
    choose(at, state.CHAT.choose, preset_id)
    assert at.text_area(key=chat_state.OPTIONS.instructions).value == INSTRUCTIONS  # in the sidebar
    assert "o3 · effort high · seed 7 · 2 starters" in " ".join(c.value for c in at.caption)
    send(at, "Is this safe?")
    body = gateway_env.requests[-1].body
    assert body["model"] == "o3"
    assert body["messages"] == [
        {"role": "developer", "content": INSTRUCTIONS},
        {"role": "user", "content": "Is this safe?"},
    ]
    assert body["reasoning_effort"] == "high" and body["seed"] == 7
    assert "temperature" not in body  # not set in the preset, not sent

    click(at, chat_state.NEW)
    choose(at, state.CHAT.choose, preset_id)
    assert [b.label for b in at.button if b.key and b.key.startswith(state.CHAT.choose)] == [
        "Review this diff",
        "What could break here?",
    ]
    click(at, state.CHAT.starter_button(1))
    assert len(gateway_env.requests) == 2
    body = gateway_env.requests[-1].body
    assert body["messages"][-1] == {"role": "user", "content": "What could break here?"}
    assert body["model"] == "o3" and body["reasoning_effort"] == "high"
    assert [m.name for m in at.chat_message] == ["user", "assistant"]


def test_a_comparison_starts_from_a_preset(gateway_env):
    at = conversations_page()
    preset_id = write_reviewer(at)
    open_page(at, "compare")
    ok(at.run())
    choose(at, state.COMPARE.choose, preset_id)
    # The preset's model leads; the two picked by default stay beside it.
    assert at.multiselect(key=compare_state.MODELS).value == ["o3", "o4-mini", "gpt-4o"]
    click(at, state.COMPARE.starter_button(0))
    requests = gateway_env.requests
    assert sorted(r.body["model"] for r in requests) == ["gpt-4o", "o3", "o4-mini"]
    for request in requests:
        assert request.body["messages"][-1] == {"role": "user", "content": "Review this diff"}
        assert request.body["messages"][0]["content"] == INSTRUCTIONS  # shared by the columns
        assert request.body["seed"] == 7
        # The effort goes to each reasoning model's column; gpt-4o is never sent one.
        effort = None if request.body["model"] == "gpt-4o" else "high"
        assert request.body.get("reasoning_effort") == effort


def test_a_preset_that_cannot_be_saved_says_why_and_keeps_what_was_typed(gateway_env):
    at = conversations_page()
    at.text_input(key=state.MODEL).set_value("o3")
    at.text_input(key=state.number_key("temperature")).set_value("hot")
    at.text_area(key=state.INSTRUCTIONS).set_value(INSTRUCTIONS)
    click(at, state.SAVE)
    assert "Not saved: Temperature must be a number from 0 to 2, got 'hot'." in errors(at)
    at.text_input(key=state.number_key("temperature")).set_value("0.2")
    click(at, state.SAVE)
    assert "Not saved: Give the preset a name." in errors(at)
    assert at.text_area(key=state.INSTRUCTIONS).value == INSTRUCTIONS
    assert at.text_input(key=state.number_key("temperature")).value == "0.2"


def test_an_admin_publishes_a_preset_another_person_uses_but_cannot_change(gateway_env, monkeypatch):
    look_as(monkeypatch, ADMIN)
    at = conversations_page()
    preset_id = write_reviewer(at)
    click(at, state.PUBLISH)
    assert "Published “Reviewer”." in successes(at)

    look_as(monkeypatch, ANA)
    at = conversations_page()
    listed = as_read(" ".join(c.value for c in at.caption))
    assert "**Published for everyone:** Reviewer" in listed and "**Your presets:** None yet" in listed
    ok(at.selectbox(key=state.PICK).set_value(preset_id).run())
    assert at.text_area(key=state.INSTRUCTIONS).value == INSTRUCTIONS
    assert at.text_area(key=state.INSTRUCTIONS).disabled and at.text_input(key=state.NAME).disabled
    assert at.button(key=state.SAVE).disabled and at.button(key=state.DELETE).disabled
    assert not [b for b in at.button if b.key == state.PUBLISH]  # only admins publish
    assert "you can start chats from it, not change it" in " ".join(i.value for i in at.info)

    open_page(at, "chat")
    ok(at.run())
    choose(at, state.CHAT.choose, preset_id)
    send(at, "Hello")
    body = gateway_env.requests[-1].body
    assert body["model"] == "o3" and body["reasoning_effort"] == "high"
    assert body["messages"][0] == {"role": "developer", "content": INSTRUCTIONS}

    # A copy is Ana's own, and hers to change.
    open_page(at, "history")
    ok(at.run())
    ok(at.selectbox(key=state.PICK).set_value(preset_id).run())
    click(at, state.COPY)
    assert "Copied to “Reviewer (copy)”." in successes(at)
    assert not at.text_input(key=state.NAME).disabled
    assert "**Your presets:** Reviewer (copy)" in as_read(" ".join(c.value for c in at.caption))


def test_presets_export_and_import_back_and_a_hostile_file_is_refused(gateway_env, downloads, monkeypatch):
    look_as(monkeypatch, ADMIN)
    at = conversations_page()
    write_reviewer(at)
    exported = downloads(export_button(at))
    data = json.loads(exported)
    assert data["presets"] == [
        {
            "name": "Reviewer",
            "model": "o3",
            "instructions": INSTRUCTIONS,
            "instructions_role": "auto",
            "parameters": {"reasoning_effort": "high", "seed": 7},
            "starters": ["Review this diff", "What could break here?"],
        }
    ]

    look_as(monkeypatch, ANA)
    at = conversations_page()
    hostile = {**data, "presets": [{**data["presets"][0], "parameters": {"logit_bias": {"1": 100}}}]}
    upload(at, "evil.json", json.dumps(hostile).encode())
    assert (
        "evil.json was not imported: presets[0] (Reviewer): parameters: Unknown parameter 'logit_bias'"
        in errors(at)
    )
    assert "**Your presets:** None yet" in as_read(" ".join(c.value for c in at.caption))

    upload(at, "presets.json", exported)
    assert "Imported 1 preset(s): Reviewer." in successes(at)
    assert "**Your presets:** Reviewer" in as_read(" ".join(c.value for c in at.caption))
    assert downloads(export_button(at)) == exported  # Ana's export: the same file again


def test_a_preset_is_renamed_in_place_and_deleted(gateway_env):
    at = conversations_page()
    preset_id = write_reviewer(at)
    at.text_input(key=state.NAME).set_value("Code reviewer")
    at.text_input(key=state.number_key("temperature")).set_value("0.2")
    click(at, state.SAVE)
    assert "Saved “Code reviewer”." in successes(at)
    assert at.session_state[state.PICK] == preset_id  # the same preset, not a second one
    assert "**Your presets:** Code reviewer" in as_read(" ".join(c.value for c in at.caption))
    assert at.text_input(key=state.number_key("temperature")).value == "0.2"
    click(at, state.DELETE)
    assert "Deleted “Code reviewer”." in successes(at)
    assert "**Your presets:** None yet" in as_read(" ".join(c.value for c in at.caption))
    assert at.session_state[state.PICK] is None and at.text_input(key=state.NAME).value == ""
