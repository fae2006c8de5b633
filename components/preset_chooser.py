"""Where a new chat or comparison starts: a preset chooser that puts the preset's model,
instructions and parameters into the page's sidebar, and its starter prompts as suggestions
(a click sends one)."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from components.plumbing import routes
from components.plumbing.policy import current_allowance
from components.plumbing.storage import RunStore, safely
from components.sidebar import put_chat_model, put_chat_sampling, put_compare_model, put_compare_sampling
from components.state import chat as chat_state
from components.state import compare as compare_state
from components.state.common import OptionKeys
from components.state.presets import CHAT, COMPARE, ChooserKeys
from core.presets import Preset, describe
from core.safe_text import literal
from core.settings import Settings

NO_PRESET = "No preset"


def render_chat_presets(store: RunStore, settings: Settings) -> None:
    """The chooser on an empty chat, and the chosen preset's starter prompts."""
    _render(store, CHAT, lambda preset: _apply_to_chat(preset, settings, store))


def render_compare_presets(store: RunStore, settings: Settings) -> None:
    """The chooser on an empty comparison: the preset's model leads the columns, which share its
    instructions and parameters; its starter prompts send a round."""
    _render(store, COMPARE, lambda preset: _apply_to_compare(preset, settings, store))


def _apply_to_chat(preset: Preset, settings: Settings, store: RunStore) -> None:
    # A preset's model the user may not use is picked all the same: the sidebar then says so.
    put_chat_model(preset.model, settings)
    _put_options(chat_state.OPTIONS, preset)
    put_chat_sampling(preset.sampling)


def _apply_to_compare(preset: Preset, settings: Settings, store: RunStore) -> None:
    put_compare_model(preset.model, settings, current_allowance(settings, store).models)
    _put_options(compare_state.OPTIONS, preset)
    put_compare_sampling(preset.sampling)


def _put_options(keys: OptionKeys, preset: Preset) -> None:
    st.session_state[keys.instructions] = preset.instructions
    st.session_state[keys.instructions_role] = preset.instructions_role


def _render(store: RunStore, keys: ChooserKeys, apply: Callable[[Preset], None]) -> None:
    presets = store.presets()
    usable = (safely(presets.everything) if presets is not None else None) or []
    if not usable:
        st.page_link(
            routes.page(routes.CONVERSATIONS),
            label="Make a preset (model, instructions, parameters, starter prompts)",
            icon=":material/tune:",
        )
        return
    by_id = {preset.id: preset for preset in usable if preset.id is not None}
    if st.session_state.get(keys.choose) not in (None, *by_id):
        st.session_state.pop(keys.choose)  # deleted since, or taken back by an admin
    st.selectbox(
        "Start from a preset",
        [None, *by_id],
        format_func=lambda preset_id: _label(by_id[preset_id]) if preset_id else NO_PRESET,
        key=keys.choose,
        on_change=_chosen,
        args=(keys, by_id, apply),
        help="Sets the model, instructions and parameters in the sidebar; you can still change them.",
    )
    chosen = by_id.get(st.session_state.get(keys.choose) or "")
    applied = st.session_state.get(keys.applied)
    if chosen is None or applied is None or applied.id != chosen.id:
        return
    st.caption(literal(describe(applied)))
    if applied.starters:
        row = st.container(horizontal=True)
        for index, text in enumerate(applied.starters):
            row.button(
                literal(text),
                key=keys.starter_button(index),
                icon=":material/chat_bubble:",
                on_click=_start,
                args=(keys, text),
            )


def _label(preset: Preset) -> str:
    return f"{preset.name} (published)" if preset.published else preset.name


def _chosen(keys: ChooserKeys, by_id: dict[str, Preset], apply: Callable[[Preset], None]) -> None:
    preset = by_id.get(st.session_state.get(keys.choose) or "")
    if preset is None:
        st.session_state.pop(keys.applied, None)
        return
    apply(preset)
    st.session_state[keys.applied] = preset


def _start(keys: ChooserKeys, text: str) -> None:
    st.session_state[keys.starter] = text
