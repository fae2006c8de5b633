"""Running a prompt set on the Compare page: the run panel (pick a set, Run next, Run all with a
progress bar and an estimated cost, Stop) and the step each run sends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from components.plumbing.storage import NotFound, RunStore, safely
from components.sidebar import CompareChoice
from components.state import prompt_sets as state
from components.state.compare import SheetRun, set_sheet, sheet
from core.prompt_sets import (
    PromptItem,
    PromptSet,
    estimate_run,
)
from core.safe_text import literal
from core.settings import Settings

if TYPE_CHECKING:
    from components.plumbing.storage import PromptSetStore

PREVIEW_CHARS = 90


def load_prompt_set(sets: PromptSetStore, set_id: str) -> PromptSet | None:
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
    loaded = load_prompt_set(sets, run.set_id) if sets is not None else None
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
        text=f"Prompt {run.next_index + 1} of {run.total:d} · {literal(step.prompt_set.name)}",
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
    pending = st.session_state.pop(state.PENDING_PICK, None)
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
        loaded = load_prompt_set(sets, picked)
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
        text=f"{min(run.next_index, run.total):d} of {run.total:d} prompts sent",
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
        st.caption(literal(estimate.describe()))
    row = st.container(horizontal=True)
    blocked = run.done or not choice.ready
    row.button(
        f"Run next ({min(run.next_index + 1, run.total):d} of {run.total:d})",
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
        st.info(literal(run.notice), icon=":material/info:")  # it can name the set
    elif not choice.ready:
        st.caption("Before running: " + literal(" ".join(choice.problems)))
