"""A person's groups pick their models on every page that sends: Compare offers only theirs and
refuses another typed in before anything is sent, prompt sets stop at the same refusal, and the
one door every request passes (components.plumbing.usage.reserve) refuses a model outside the
policy whatever the page checked. Who is signed in is set by replacing `resolve_identity`, the
one function every caller of `current_identity` goes through."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from components.state import compare as compare_state
from core.identity import Identity
from tests.app.helpers import app_on, send

IAN = Identity("hdr-ian", "ian@example.com", "ian@example.com", "header", groups=("interns",))
REFUSED = "o3 is not among the models you may use. You may use: gpt-4o-mini, o4-mini."


@pytest.fixture
def intern(gateway_env, monkeypatch):
    monkeypatch.setenv("GPTPROTO_GROUP_MODELS", "interns=gpt-4o-mini,o4-mini;research=*")
    monkeypatch.setattr("components.plumbing.identity.resolve_identity", lambda settings: IAN)
    return gateway_env


def test_compare_offers_only_the_groups_models_and_refuses_a_typed_one_before_sending(intern):
    at = app_on("compare")
    at.run()
    assert not at.exception, at.exception
    picker = at.multiselect(key=compare_state.MODELS)
    assert picker.options == ["o4-mini", "gpt-4o-mini"]  # the curated list, less gpt-4o and o3
    assert picker.value == ["o4-mini", "gpt-4o-mini"]
    picker.set_value(["o4-mini", "o3"]).run()  # typed in: the picker accepts new ids
    assert [error.value for error in at.sidebar.error] == [REFUSED]
    send(at, "Which is better?", key=compare_state.INPUT)
    assert [error.value for error in at.main.error] == [f"Not sent: {REFUSED}"]
    assert intern.requests == []
    expander = next(e for e in at.sidebar.expander if e.label == "Your allowance")
    captions = [caption.value for caption in expander.caption]
    assert "Your groups: interns" in captions
    assert [md.value for md in expander.markdown] == ["**Models:** gpt-4o-mini, o4-mini"]


def _reserve_o3() -> None:
    import streamlit as st

    from components.plumbing.config import require_settings
    from components.plumbing.storage import RunStore
    from components.plumbing.usage import Reservation, reserve
    from core.conversation import ChatParams, user_message

    settings = require_settings()
    for model in ("o3", "o4-mini"):
        admitted = reserve(RunStore(settings), settings, [([user_message("hi")], ChatParams(model))], "chat")
        st.write(f"{model}: admitted" if isinstance(admitted, Reservation) else f"{model}: {admitted}")


def test_the_door_every_request_passes_refuses_a_model_outside_the_policy(intern):
    at = AppTest.from_function(_reserve_o3)
    at.run()
    assert not at.exception, at.exception
    assert [md.value for md in at.markdown] == [
        f"o3: Not sent: {REFUSED} Pick one of them; your prompt is kept.",
        "o4-mini: admitted",
    ]


def test_a_prompt_set_through_a_model_outside_the_policy_cannot_run(intern):
    from components.state import prompt_sets as sets_state
    from tests.app.test_compare_page import start_compare
    from tests.app.test_prompt_sets import write_set

    at = start_compare(["o4-mini", "o3"])
    write_set(at)
    assert at.button(key=sets_state.RUN_NEXT).disabled and at.button(key=sets_state.RUN_ALL).disabled
    assert f"Before running: {REFUSED}" in [caption.value for caption in at.main.caption]
    assert intern.requests == []
