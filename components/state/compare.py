"""The compare page's session state and widget keys, under `compare.`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import streamlit as st

from components.state.common import OptionKeys, SamplingKeys, unset_parameter
from core.compare import CompareRound, Vote

ROUNDS = "compare.rounds"
VOTES = "compare.votes"
CURRENT = "compare.comparison_id"  # the open comparison's id in storage, once it has one
SHEET = "compare.sheet"  # the prompt set being stepped through (a SheetRun)
RESEND = "compare.resend"  # (column index, parameter): send the latest round's column again without it
QUERY = "cmp"  # the URL parameter naming the open comparison (?cmp=<id>)

# Widgets.
INPUT = "compare.input"
STOP = "compare.stop"
NEW = "compare.new"
MODELS = "compare.models"
BLIND = "compare.blind"
OPTIONS = OptionKeys(
    "compare.max_tokens",
    "compare.stream",
    "compare.instructions",
    "compare.instructions_role",
)
SAMPLING = SamplingKeys("compare.param")  # the parameters every column shares
EXPORT_MD = "compare.export.md"
EXPORT_HTML = "compare.export.html"
EXPORT_JSON = "compare.export.json"
RENAME = "compare.rename"
RENAME_SAVE = "compare.rename_save"


def vote_key(label: str, position: int | None = None) -> str:
    """The vote button for a blind label ('A', 'B', ...) or the tie: of the latest round, or
    of an earlier round at `position` (0-based) still waiting for its vote."""
    return f"compare.vote.{label}" if position is None else f"compare.vote.{position}.{label}"


def column_keys(model: str) -> SamplingKeys:
    """The boxes of one model's own parameters (its reasoning efforts and temperatures)."""
    return SamplingKeys(f"compare.column.{model}")


def resend_key(answer_id: str) -> str:
    """A column's "Send again without ..." button."""
    return f"compare.resend.{answer_id}"


def request_resend(index: int, model: str, name: str, own: bool) -> None:
    """Button callback: unset the refused parameter in the sidebar (the column's model's own box
    when it was the column's own, else the shared one), then send that column again."""
    if own:
        keys = column_keys(model)
        st.session_state[keys.key(name)] = [] if name == "reasoning_effort" else ""
    else:
        unset_parameter(SAMPLING, name)
    st.session_state[RESEND] = (index, name)


def take_resend() -> tuple[int, str] | None:
    """The column of the latest round to send again and the parameter to leave out, consumed."""
    value: tuple[int, str] | None = st.session_state.pop(RESEND, None)
    return value


def library_item_key(comparison_id: str) -> str:
    """A comparison's button in the compare sidebar's library."""
    return f"compare.library_item.{comparison_id}"


@dataclass
class SheetRun:
    """Where the presenter is in a prompt set: the next prompt, and a run in progress."""

    set_id: str
    total: int
    next_index: int = 0
    running: Literal["one", "all"] | None = None
    in_flight: int | None = None  # the prompt being sent; still set on the next run = stopped
    notice: str | None = None

    @property
    def done(self) -> bool:
        """True once every prompt has been sent."""
        return self.next_index >= self.total


def init_compare_state() -> None:
    """Create the compare keys once per session."""
    st.session_state.setdefault(ROUNDS, [])
    st.session_state.setdefault(VOTES, [])
    st.session_state.setdefault(CURRENT, None)
    st.session_state.setdefault(SHEET, None)


def rounds() -> list[CompareRound]:
    """Every round of the current comparison, oldest first."""
    value: list[CompareRound] = st.session_state[ROUNDS]
    return value


def session_votes() -> list[Vote]:
    """The votes cast in this session (the leaderboard when storage is down)."""
    value: list[Vote] = st.session_state[VOTES]
    return value


def comparison_id() -> str | None:
    """The open comparison's id in storage, once it has one."""
    current: str | None = st.session_state.get(CURRENT)
    return current


def set_comparison_id(stored_id: str | None) -> None:
    """The open comparison now has this id in storage (and the URL names it)."""
    st.session_state[CURRENT] = stored_id
    if stored_id is None:
        st.query_params.pop(QUERY, None)
    elif st.query_params.get(QUERY) != stored_id:
        st.query_params[QUERY] = stored_id


def show_rounds(shown: list[CompareRound], stored_id: str | None) -> None:
    """Make these rounds the comparison on the page."""
    st.session_state[ROUNDS] = shown
    set_comparison_id(stored_id)
    st.session_state[SHEET] = None


def sheet() -> SheetRun | None:
    """The prompt set being stepped through, if any."""
    value: SheetRun | None = st.session_state.get(SHEET)
    return value


def set_sheet(value: SheetRun | None) -> None:
    """Start (or, with None, forget) stepping through a prompt set."""
    st.session_state[SHEET] = value


def new_comparison() -> None:
    """Button callback: start over (votes and the leaderboard stay; the old one is in the library)."""
    show_rounds([], None)
