"""Presets on the Conversations page: write, edit, rename, copy and delete one's own; an admin
publishes one for everyone (read-only for the others, listed apart); export and import them as
a file."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import streamlit as st

from components.downloads import download_button
from components.plumbing.storage import NotFound, RunStore, safely
from components.state import presets as state
from core.formats.preset import export_presets, import_presets
from core.metrics import count_import_refusal
from core.presets import (
    ROLE_CHOICES,
    NotAllowed,
    Preset,
    PresetRejected,
    check_preset,
    starters_from_text,
)
from core.safe_text import literal
from core.sampling import (
    REASONING_EFFORTS,
    SamplingError,
    label,
    names,
    parse_number,
    parse_stop,
    sampling_from_dict,
)
from core.settings import Settings, model_choices

if TYPE_CHECKING:
    from components.plumbing.storage import PresetInfo, PresetStore

NUMBERS = tuple(name for name in names() if name not in ("reasoning_effort", "stop"))


def render_presets(settings: Settings, store: RunStore) -> None:
    """The Presets section: the person's own and the published presets, the editor, import and
    export."""
    presets = store.presets()
    if presets is None:
        return
    own = safely(presets.own) or []
    published = safely(presets.published) or []
    with st.expander("Presets: model, instructions, parameters and starter prompts", icon=":material/tune:"):
        flash = st.session_state.pop(state.FLASH, None)
        if flash:
            st.success(literal(flash), icon=":material/check:")  # it names the preset
        _listing("Your presets", own, "None yet: write one below, or import a file.")
        _listing("Published for everyone", published, "None published.")
        info = _pick(settings, presets, {i.id: i for i in [*own, *published]})
        _render_fields(settings, editable=info is None or info.editable)
        _render_actions(settings, presets, info)
        st.divider()
        _render_export(presets)
        _render_import(settings, presets)


def _listing(title: str, infos: list[PresetInfo], empty: str) -> None:
    names_listed = ", ".join(info.name for info in infos)
    st.caption(f"**{literal(title)}:** {literal(names_listed if infos else empty)}")


def _pick(settings: Settings, presets: PresetStore, by_id: dict[str, PresetInfo]) -> PresetInfo | None:
    if state.PENDING_PICK in st.session_state:
        st.session_state[state.PICK] = st.session_state.pop(state.PENDING_PICK)
    if st.session_state.get(state.PICK) not in (None, *by_id):
        st.session_state[state.PICK] = None  # deleted, or taken back by an admin
    picked = st.selectbox(
        "Preset",
        [None, *by_id],
        format_func=lambda i: "New preset" if i is None else _label(by_id[i]),
        key=state.PICK,
    )
    stale = state.NAME not in st.session_state  # its fields' state went with a visit to another page
    if stale or st.session_state.get(state.LOADED, "") != picked:
        loaded = safely(lambda: presets.load(picked)) if picked else None
        _fill(loaded or Preset("", settings.default_model), picked)
    return by_id.get(picked) if picked else None


def _label(info: PresetInfo) -> str:
    if not info.published:
        return info.name
    return f"{info.name} (published)" if info.editable else f"{info.name} (published, read-only)"


def _fill(preset: Preset, picked: str | None) -> None:
    """Put a preset's values into the editor's fields (before they are drawn)."""
    values = st.session_state
    values[state.NAME] = preset.name
    values[state.MODEL] = preset.model
    values[state.INSTRUCTIONS] = preset.instructions
    values[state.ROLE] = preset.instructions_role
    values[state.EFFORT] = preset.sampling.reasoning_effort
    for name in NUMBERS:
        number = getattr(preset.sampling, name)
        values[state.number_key(name)] = "" if number is None else str(number)
    values[state.STOP] = "\n".join(preset.sampling.stop or ())
    values[state.STARTERS] = "\n".join(preset.starters)
    values[state.LOADED] = picked


def _render_fields(settings: Settings, *, editable: bool) -> None:
    if not editable:
        st.info(
            "Published for everyone by an admin: you can start chats from it, not change it. "
            "*Save as a copy* makes one of your own.",
            icon=":material/lock:",
        )
    off = not editable
    st.text_input("Name", key=state.NAME, disabled=off, placeholder="e.g. Code reviewer")
    st.text_input(
        "Model",
        key=state.MODEL,
        disabled=off,
        help=f"A model id. This server's list: {literal(', '.join(model_choices(settings)))}.",
    )
    st.text_area("Instructions", key=state.INSTRUCTIONS, disabled=off, height=100)
    st.selectbox("Instructions role", ROLE_CHOICES, key=state.ROLE, disabled=off)
    columns = st.columns(3)
    columns[0].selectbox(
        literal(label("reasoning_effort")),
        [None, *REASONING_EFFORTS],
        format_func=lambda value: "not set" if value is None else value,
        key=state.EFFORT,
        disabled=off,
    )
    for index, name in enumerate(NUMBERS, start=1):
        columns[index % 3].text_input(
            literal(label(name)), key=state.number_key(name), placeholder="not set", disabled=off
        )
    st.text_area("Stop sequences (one per line)", key=state.STOP, disabled=off, height=68)
    st.text_area(
        "Starter prompts (one per line, up to 4)",
        key=state.STARTERS,
        disabled=off,
        height=90,
        help="Shown on an empty chat started from this preset; a click sends one.",
    )


def _collected(settings: Settings, preset_id: str | None, name: str | None = None) -> Preset:
    """The preset as the fields hold it, checked; PresetRejected says what to fix."""
    values = st.session_state
    try:
        raw: dict[str, Any] = {
            n: parse_number(n, str(values.get(state.number_key(n)) or "")) for n in NUMBERS
        }
        raw["stop"] = parse_stop(str(values.get(state.STOP) or ""))
        raw["reasoning_effort"] = values.get(state.EFFORT)
        sampling = sampling_from_dict(raw)
    except SamplingError as exc:
        raise PresetRejected(str(exc)) from None
    role = values.get(state.ROLE)
    preset = Preset(
        name if name is not None else str(values.get(state.NAME) or ""),
        str(values.get(state.MODEL) or ""),
        str(values.get(state.INSTRUCTIONS) or ""),
        role if role in ROLE_CHOICES else "auto",
        sampling,
        starters_from_text(str(values.get(state.STARTERS) or "")),
        preset_id,
    )
    return check_preset(preset, settings.max_instructions_chars)


def _render_actions(settings: Settings, presets: PresetStore, info: PresetInfo | None) -> None:
    row = st.container(horizontal=True)
    editable = info is None or info.editable
    if row.button(
        "Save preset", key=state.SAVE, icon=":material/save:", type="primary", disabled=not editable
    ):
        _save(settings, presets, info.id if info else None, "Saved")
    if info is None:
        return
    if row.button("Save as a copy", key=state.COPY, icon=":material/content_copy:"):
        copy_name = f"{st.session_state.get(state.NAME) or info.name} (copy)"
        _save(settings, presets, None, "Copied to", copy_name)
    if presets.is_admin and (info.published or info.mine):
        wanted = not info.published
        text = "Publish for everyone" if wanted else "Take back (unpublish)"
        if row.button(text, key=state.PUBLISH, icon=":material/public:"):

            def publish() -> str:
                presets.publish(info.id, wanted)
                return info.id

            _act(publish, f"{'Published' if wanted else 'Took back'} “{info.name}”.")
    if row.button("Delete preset", key=state.DELETE, icon=":material/delete:", disabled=not editable):

        def delete() -> str:
            presets.delete(info.id)
            return ""

        _act(delete, f"Deleted “{info.name}”.")


def _save(
    settings: Settings, presets: PresetStore, preset_id: str | None, verb: str, name: str | None = None
) -> None:
    try:
        preset = _collected(settings, preset_id, name)
    except PresetRejected as exc:
        st.error(f"Not saved: {literal(exc)}", icon=":material/error:")
        return
    _act(lambda: presets.save(preset), f"{verb} “{preset.name}”.")


def _act(action: Callable[[], str], message: str) -> None:
    """Run a storage call that answers the preset to edit next ("" for a new one); then rerun with
    `message` shown. A database failure is the page's notice; a refusal is shown here."""
    try:
        pick = safely(action)
    except NotAllowed as exc:
        st.error(f"Not done: {literal(exc)}", icon=":material/lock:")
        return
    except NotFound:
        st.error("That preset is no longer there (deleted, or taken back).", icon=":material/error:")
        return
    if pick is not None:
        _edit_after_rerun(pick or None, message)


def _edit_after_rerun(pick: str | None, message: str) -> None:
    st.session_state[state.PENDING_PICK] = pick
    st.session_state.pop(state.LOADED, None)
    st.session_state[state.FLASH] = message
    st.rerun()


def _render_export(presets: PresetStore) -> None:
    everything = safely(presets.everything) or []
    download_button(
        st.container(),
        f"Export presets ({len(everything)})",
        lambda: export_presets(everything),
        "presets.json",
        mime="application/json",
        key=state.EXPORT,
        icon=":material/download:",
        disabled=not everything,
        help="Your presets and the published ones, as a JSON file that imports back.",
    )


def _render_import(settings: Settings, presets: PresetStore) -> None:
    upload = st.file_uploader(
        "Import presets (JSON or YAML)", type=["json", "yaml", "yml"], key=state.IMPORT_FILE
    )
    if st.button("Import presets", key=state.IMPORT, disabled=upload is None) and upload is not None:
        try:
            imported = import_presets(upload.getvalue(), upload.name, settings.max_instructions_chars)
        except PresetRejected as exc:
            count_import_refusal("preset")
            st.error(f"{literal(upload.name)} was not imported: {literal(exc)}", icon=":material/error:")
            return
        if safely(lambda: presets.add_all(imported)):
            listed = ", ".join(preset.name for preset in imported)
            _edit_after_rerun(None, f"Imported {len(imported)} preset(s): {listed}.")
