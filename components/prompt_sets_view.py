"""Prompt sets on the Compare page: the run panel (pick a set, Run next, Run all with a progress bar
and an estimated cost, Stop) and the editor (write, reorder, attach images, save, delete, export
and import as JSON or YAML)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import streamlit as st

from components.downloads import download_button
from components.plumbing.storage import NotFound, RunStore, safely
from components.sidebar import CompareChoice
from components.state import compare as state
from components.state.compare import SheetRun, set_sheet, sheet
from core.conversation import ImageAttachment
from core.formats.prompt_set import export_prompt_set, import_prompt_set, yaml_export_refusal
from core.images import ACCEPTED_TYPES, ImageLimits, ImageRejected, check_count, prepare_images
from core.prompt_sets import (
    PromptItem,
    PromptSet,
    PromptSetRejected,
    TextLimits,
    check_prompt_set,
    estimate_run,
)
from core.settings import Settings

if TYPE_CHECKING:
    from components.plumbing.storage import PromptSetStore

PREVIEW_CHARS = 90
PENDING_PICK = "compare.sets.pending_pick"  # a set to pick on the coming run
FLASH = "compare.sets.flash"  # a success message that outlives the rerun after a save


def _load(sets: PromptSetStore, set_id: str) -> PromptSet | None:
    try:
        return safely(lambda: sets.load(set_id))
    except NotFound:
        return None


# -- running a set -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SheetStep:
    """The prompt of a set to send on this run."""

    run: SheetRun
    prompt_set: PromptSet
    item: PromptItem
    carry: bool


def take_sheet_step(store: RunStore, choice: CompareChoice) -> SheetStep | None:
    """The prompt set prompt to send on this run, if a run is going. A prompt still in flight when
    this run began was interrupted (Stop, or anything else that reran the page): the run ends
    there, and the rounds that finished stay."""
    run = sheet()
    if run is None or run.running is None:
        return None
    if run.in_flight is not None:
        stopped = run.in_flight
        run.next_index, run.in_flight, run.running = stopped + 1, None, None
        run.notice = (
            f"Stopped at prompt {stopped + 1} of {run.total}. The rounds that finished are kept; "
            "Run next goes on from the following prompt."
        )
        return None
    sets = store.prompt_sets()
    loaded = _load(sets, run.set_id) if sets is not None else None
    if loaded is None or run.done or run.next_index >= len(loaded.items):
        run.running = None
        return None
    if not (choice.ready and choice.api_key):
        run.running = None
        run.notice = "Not sent: " + " ".join(choice.problems)
        return None
    run.in_flight = run.next_index
    run.notice = None
    carry = bool(st.session_state.get(state.CARRY, False))
    return SheetStep(run, loaded, loaded.items[run.next_index], carry)


def render_step_progress(step: SheetStep) -> None:
    """'Prompt 2 of 3 · Demo day' over a progress bar, above the round being sent."""
    run = step.run
    st.progress(
        run.next_index / run.total,
        text=f"Prompt {run.next_index + 1} of {run.total} · {step.prompt_set.name}",
    )


def halt_step(step: SheetStep, notice: str) -> None:
    """The prompt could not be sent (a usage limit): the run stops there, saying why."""
    run = step.run
    run.in_flight = None
    run.running = None
    run.notice = notice


def finish_step(step: SheetStep) -> None:
    """After a prompt's round ended: move on; with Run all, rerun for the next prompt."""
    run = step.run
    run.in_flight = None
    run.next_index += 1
    if run.done:
        run.running = None
        run.notice = f"All {run.total} prompts of “{step.prompt_set.name}” ran."
    elif run.running == "all":
        st.rerun()
    else:
        run.running = None


def _start(mode: str) -> None:
    run = sheet()
    if run is not None and not run.done:
        run.running = "all" if mode == "all" else "one"
        run.in_flight = None
        run.notice = None


def _restart() -> None:
    run = sheet()
    if run is not None:
        run.next_index, run.running, run.in_flight, run.notice = 0, None, None, None


def render_run_panel(settings: Settings, store: RunStore, choice: CompareChoice) -> None:
    """Pick a prompt set and step through it: its prompts (done, next), Run next, Run all with the
    estimated cost first, and where a run stopped."""
    sets = store.prompt_sets()
    if sets is None:
        return
    pending = st.session_state.pop(PENDING_PICK, None)
    if pending is not None:  # a set just saved or imported: pick it (before the picker is drawn)
        st.session_state[state.SET_PICK] = pending
    listed = safely(sets.sets) or []
    with st.container(border=True):
        st.markdown("**Prompt set**")
        if not listed:
            st.caption("Write a prompt set below (or import one) to step through it here, prompt by prompt.")
            return
        names = {
            info.id: f"{info.name} ({info.prompts} prompt{'s' if info.prompts != 1 else ''})"
            for info in listed
        }
        if st.session_state.get(state.SET_PICK) not in (None, *names):
            st.session_state[state.SET_PICK] = None
        picked = st.selectbox(
            "Prompt set",
            list(names),
            index=None,
            key=state.SET_PICK,
            format_func=names.__getitem__,
            placeholder="Pick a prompt set to step through",
            label_visibility="collapsed",
        )
        if picked is None:
            set_sheet(None)
            return
        loaded = _load(sets, picked)
        if loaded is None:
            return
        run = sheet()
        if run is None or run.set_id != picked:
            run = SheetRun(picked, len(loaded.items))
            set_sheet(run)
        run.total = len(loaded.items)
        _render_sheet(settings, choice, loaded, run)


def _render_sheet(settings: Settings, choice: CompareChoice, loaded: PromptSet, run: SheetRun) -> None:
    for number, item in enumerate(loaded.items):
        mark = "✓" if number < run.next_index else ("▶" if number == run.next_index else "·")
        images = f" · {len(item.images)} image(s)" if item.images else ""
        own = " · own instructions" if item.instructions.strip() else ""
        text = " ".join(item.text.split())
        preview = text[:PREVIEW_CHARS] + ("…" if len(text) > PREVIEW_CHARS else "")
        st.text(f"{mark} {number + 1}. {preview or '(images only)'}{images}{own}")
    st.progress(
        min(run.next_index, run.total) / run.total,
        text=f"{min(run.next_index, run.total)} of {run.total} prompts sent",
    )
    st.toggle(
        "Each prompt follows on from the earlier ones",
        key=state.CARRY,
        help="Off: each prompt is sent on its own. On: each model also sees the earlier prompts and answers.",
    )
    remaining = loaded.items[run.next_index :]
    if remaining and choice.models:
        carry = bool(st.session_state.get(state.CARRY, False))
        estimate = estimate_run(remaining, choice.models, choice.params, dict(settings.prices), carry=carry)
        st.caption(estimate.describe())
    row = st.container(horizontal=True)
    blocked = run.done or not choice.ready
    row.button(
        f"Run next ({min(run.next_index + 1, run.total)} of {run.total})",
        key=state.RUN_NEXT,
        icon=":material/skip_next:",
        on_click=_start,
        args=("one",),
        disabled=blocked,
    )
    row.button(
        f"Run all ({len(remaining)} left)",
        key=state.RUN_ALL,
        icon=":material/playlist_play:",
        on_click=_start,
        args=("all",),
        disabled=blocked,
        type="primary",
        help="One prompt after another through every model; Stop all ends the run and keeps what finished.",
    )
    if run.next_index:
        row.button(
            "Start over", key=state.SET_PICK + ".restart", icon=":material/restart_alt:", on_click=_restart
        )
    if run.notice:
        st.info(run.notice, icon=":material/info:")
    elif not choice.ready:
        st.caption("Before running: " + " ".join(choice.problems))


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
        _edit(_load(sets, picked) if picked else None)
        draft = _draft()
    assert draft is not None
    title = "Edit the prompt set" if draft.set_id else "Write a new prompt set"
    with st.expander(f"Prompt sets: {title.lower()}, import, export", icon=":material/list_alt:"):
        flash = st.session_state.pop(FLASH, None)
        if flash:
            st.success(flash, icon=":material/check:")
        st.button("New prompt set", key=state.SET_ADD + ".new", icon=":material/add:", on_click=_new_set)
        st.text_input("Name", key=state.SET_NAME, placeholder="e.g. Demo day: vision and reasoning")
        for index, item in enumerate(draft.items):
            _render_item(index, item, len(draft.items))
        row = st.container(horizontal=True)
        row.button("Add a prompt", key=state.SET_ADD, icon=":material/add:", on_click=_add_item)
        if row.button("Save prompt set", key=state.SET_SAVE, icon=":material/save:", type="primary"):
            _save(settings, sets, draft)
        if draft.set_id is not None:
            _render_saved_actions(sets, draft.set_id)
        _render_import(settings, sets)


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
            line.caption(f"Images: {names}")
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
        st.error(f"Not saved: {exc}", icon=":material/error:")
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
    st.session_state[PENDING_PICK] = set_id
    st.session_state[FLASH] = message
    st.rerun()


def _render_saved_actions(sets: PromptSetStore, set_id: str) -> None:
    saved = _load(sets, set_id)
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
        help=too_big,
    )
    if row.button("Delete prompt set", key=state.SET_DELETE, icon=":material/delete:"):
        safely(lambda: sets.delete(set_id))
        set_sheet(None)
        st.session_state.pop(state.SET_DRAFT, None)
        st.session_state[state.SET_PICK] = None
        st.rerun()


def _render_import(settings: Settings, sets: PromptSetStore) -> None:
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
            st.error(f"{upload.name} was not imported: {exc}", icon=":material/error:")
            return
        saved = safely(lambda: sets.save(imported))
        if saved is not None:
            st.session_state.pop(state.SET_DRAFT, None)
            _picked_after_rerun(saved, f"Imported “{imported.name}” ({len(imported.items)} prompts).")
