"""Writing prompt sets on the Compare page: write, reorder, attach images, save, delete, export and
import as JSON or YAML."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import streamlit as st

from components.downloads import download_button
from components.plumbing.storage import RunStore, done, safely
from components.prompt_set_runner import load_prompt_set
from components.state import prompt_sets as state
from components.state.compare import set_sheet
from core.audit import DELETED, IMPORTED
from core.conversation import ImageAttachment
from core.formats.prompt_set import export_prompt_set, import_prompt_set, yaml_export_refusal
from core.images import ACCEPTED_TYPES, ImageLimits, ImageRejected, check_count, prepare_images
from core.metrics import count_import_refusal
from core.prompt_sets import (
    PromptItem,
    PromptSet,
    PromptSetRejected,
    TextLimits,
    check_prompt_set,
)
from core.safe_text import literal
from core.settings import Settings

if TYPE_CHECKING:
    from components.plumbing.storage import PromptSetStore

PREVIEW_CHARS = 90


# -- the editor --------------------------------------------------------------------------------------


@dataclass
class DraftItem:
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    images: list[ImageAttachment] = field(default_factory=list)
    uploads: int = 0  # bumped after a save so the file box starts empty again


@dataclass
class SetDraft:
    set_id: str | None
    items: list[DraftItem]


def _draft() -> SetDraft | None:
    value: SetDraft | None = st.session_state.get(state.SET_DRAFT)
    return value


def _edit(prompt_set: PromptSet | None) -> None:
    """Put a set (or a new, empty one) into the editor's widgets."""
    items = list(prompt_set.items) if prompt_set else [PromptItem("")]
    draft = SetDraft(prompt_set.id if prompt_set else None, [DraftItem(images=list(i.images)) for i in items])
    for item, draft_item in zip(items, draft.items, strict=True):
        st.session_state[state.item_key("text", draft_item.id)] = item.text
        st.session_state[state.item_key("instructions", draft_item.id)] = item.instructions
    st.session_state[state.SET_NAME] = prompt_set.name if prompt_set else ""
    st.session_state[state.SET_DRAFT] = draft


def _new_set() -> None:
    st.session_state[state.SET_PICK] = None
    _edit(None)


def _add_item() -> None:
    draft = _draft()
    if draft is not None:
        item = DraftItem()
        st.session_state[state.item_key("text", item.id)] = ""
        st.session_state[state.item_key("instructions", item.id)] = ""
        draft.items.append(item)


def _move(index: int, step: int) -> None:
    draft = _draft()
    if draft is not None and 0 <= index + step < len(draft.items):
        items = draft.items
        items[index], items[index + step] = items[index + step], items[index]


def _remove(index: int) -> None:
    draft = _draft()
    if draft is not None and len(draft.items) > 1:
        del draft.items[index]


def _drop_images(index: int) -> None:
    draft = _draft()
    if draft is not None:
        draft.items[index].images = []


def render_editor(settings: Settings, store: RunStore) -> None:
    """Write a prompt set (each prompt with its own instructions and images), save, delete,
    export it as JSON or YAML, or import one."""
    sets = store.prompt_sets()
    if sets is None:
        return
    picked = st.session_state.get(state.SET_PICK)
    draft = _draft()
    stale = draft is not None and any(  # its widgets' state went with a visit to another page
        state.item_key("text", item.id) not in st.session_state for item in draft.items
    )
    if draft is None or stale or (picked is not None and draft.set_id != picked):
        _edit(load_prompt_set(sets, picked) if picked else None)
        draft = _draft()
    assert draft is not None
    title = "edit the prompt set" if draft.set_id else "write a new prompt set"
    with st.expander(f"Prompt sets: {title}, import, export", icon=":material/list_alt:"):
        flash = st.session_state.pop(state.FLASH, None)
        if flash:
            st.success(literal(flash), icon=":material/check:")  # it names the set
        st.button("New prompt set", key=state.SET_ADD + ".new", icon=":material/add:", on_click=_new_set)
        st.text_input("Name", key=state.SET_NAME, placeholder="e.g. Demo day: vision and reasoning")
        for index, item in enumerate(draft.items):
            _render_item(index, item, len(draft.items))
        row = st.container(horizontal=True)
        row.button("Add a prompt", key=state.SET_ADD, icon=":material/add:", on_click=_add_item)
        if row.button("Save prompt set", key=state.SET_SAVE, icon=":material/save:", type="primary"):
            _save(settings, sets, draft)
        if draft.set_id is not None:
            _render_saved_actions(store, sets, draft.set_id)
        _render_import(settings, store, sets)


def _render_item(index: int, item: DraftItem, count: int) -> None:
    with st.container(border=True):
        head = st.container(horizontal=True, vertical_alignment="center")
        head.markdown(f"**Prompt {index + 1}**", width="stretch")
        head.button(
            "↑", key=state.item_key("up", item.id), on_click=_move, args=(index, -1), disabled=index == 0
        )
        head.button(
            "↓",
            key=state.item_key("down", item.id),
            on_click=_move,
            args=(index, 1),
            disabled=index == count - 1,
        )
        head.button(
            "Remove",
            key=state.item_key("remove", item.id),
            icon=":material/delete:",
            on_click=_remove,
            args=(index,),
            disabled=count == 1,
        )
        st.text_area("Prompt", key=state.item_key("text", item.id), height=90)
        st.text_area(
            "Instructions for this prompt (optional)",
            key=state.item_key("instructions", item.id),
            height=68,
            help="Replace the sidebar's instructions for this prompt only.",
        )
        if item.images:
            names = ", ".join(image.name for image in item.images)
            line = st.container(horizontal=True, vertical_alignment="center")
            line.caption(f"Images: {literal(names)}")
            line.button(
                "Remove images", key=state.item_key("drop", item.id), on_click=_drop_images, args=(index,)
            )
        st.file_uploader(
            "Add images",
            type=list(ACCEPTED_TYPES),
            accept_multiple_files=True,
            key=state.item_key(f"files{item.uploads}", item.id),
        )


def _collected(settings: Settings, draft: SetDraft) -> list[PromptItem]:
    """The prompts as written, new images checked and re-encoded; ImageRejected names the prompt."""
    limits = ImageLimits.from_settings(settings)
    items = []
    for number, item in enumerate(draft.items, start=1):
        files = st.session_state.get(state.item_key(f"files{item.uploads}", item.id)) or []
        try:
            check_count(len(item.images) + len(files), limits)
            added = prepare_images([(f.name, f.getvalue()) for f in files], limits)
        except ImageRejected as exc:
            raise ImageRejected(f"Prompt {number}: {exc}") from None
        items.append(
            PromptItem(
                str(st.session_state.get(state.item_key("text", item.id), "")),
                str(st.session_state.get(state.item_key("instructions", item.id), "")),
                (*item.images, *added),
            )
        )
    return items


def _save(settings: Settings, sets: PromptSetStore, draft: SetDraft) -> None:
    try:
        items = _collected(settings, draft)
        checked = check_prompt_set(
            str(st.session_state.get(state.SET_NAME, "")),
            items,
            TextLimits(settings.max_prompt_chars, settings.max_instructions_chars),
            settings.image_max_count,
            draft.set_id,
        )
    except (ImageRejected, PromptSetRejected) as exc:
        st.error(f"Not saved: {literal(exc)}", icon=":material/error:")
        return
    saved = safely(lambda: sets.save(checked))
    if saved is None:
        return
    for item, kept in zip(draft.items, checked.items, strict=True):
        item.images = list(kept.images)
        item.uploads += 1
    draft.set_id = saved
    _picked_after_rerun(saved, f"Saved “{checked.name}” ({len(checked.items)} prompts).")


def _picked_after_rerun(set_id: str, message: str) -> None:
    st.session_state[state.PENDING_PICK] = set_id
    st.session_state[state.FLASH] = message
    st.rerun()


def _render_saved_actions(store: RunStore, sets: PromptSetStore, set_id: str) -> None:
    saved = load_prompt_set(sets, set_id)
    if saved is None:
        return
    from components.conversations_view import file_stem

    row = st.container(horizontal=True)
    download_button(
        row,
        "Export JSON",
        lambda: export_prompt_set(saved, "json"),
        f"{file_stem(saved.name)}.json",
        mime="application/json",
        key=state.SET_EXPORT_JSON,
        icon=":material/data_object:",
    )
    as_yaml = export_prompt_set(saved, "yaml")
    too_big = yaml_export_refusal(as_yaml)  # a file its own import would refuse is not offered
    download_button(
        row,
        "Export YAML",
        lambda: as_yaml,  # made already, for its size; it reaches the media store only if clicked
        f"{file_stem(saved.name)}.yaml",
        mime="application/yaml",
        key=state.SET_EXPORT_YAML,
        icon=":material/description:",
        disabled=too_big is not None,
        help=literal(too_big) if too_big else None,
    )
    if row.button("Delete prompt set", key=state.SET_DELETE, icon=":material/delete:"):
        if done(lambda: sets.delete(set_id)):
            store.record(DELETED, set_id, kind="prompt_set")
        set_sheet(None)
        st.session_state.pop(state.SET_DRAFT, None)
        # The picker is drawn already (setting its key now raises); the next run finds the picked
        # set gone and clears the pick before drawing it.
        st.rerun()


def _render_import(settings: Settings, store: RunStore, sets: PromptSetStore) -> None:
    st.divider()
    upload = st.file_uploader(
        "Import a prompt set (JSON or YAML)", type=["json", "yaml", "yml"], key=state.SET_IMPORT_FILE
    )
    if st.button("Import", key=state.SET_IMPORT, disabled=upload is None) and upload is not None:
        try:
            imported = import_prompt_set(
                upload.getvalue(),
                upload.name,
                ImageLimits.from_settings(settings),
                TextLimits(settings.max_prompt_chars, settings.max_instructions_chars),
            )
        except PromptSetRejected as exc:
            count_import_refusal("prompt_set")
            st.error(f"{literal(upload.name)} was not imported: {literal(exc)}", icon=":material/error:")
            return
        saved = safely(lambda: sets.save(imported))
        if saved is not None:
            store.record(IMPORTED, saved, kind="prompt_set", prompts=len(imported.items))
            st.session_state.pop(state.SET_DRAFT, None)
            _picked_after_rerun(saved, f"Imported “{imported.name}” ({len(imported.items)} prompts).")
