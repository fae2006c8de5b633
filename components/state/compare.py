"""The compare page's session state and widget keys, under `compare.`."""

from __future__ import annotations

import streamlit as st

from components.state.shared import OptionKeys
from components.storage import RunStore, safely
from core.compare import CompareRound, Vote
from core.conversation import Status

ROUNDS = "compare.rounds"
VOTES = "compare.votes"

# Widgets.
INPUT = "compare.input"
STOP = "compare.stop"
NEW = "compare.new"
MODELS = "compare.models"
BLIND = "compare.blind"
OPTIONS = OptionKeys(
    "compare.max_tokens", "compare.stream", "compare.instructions", "compare.instructions_role"
)
EXPORT_MD = "compare.export.md"
EXPORT_HTML = "compare.export.html"


def vote_key(label: str) -> str:
    """The vote button for a blind label ('A', 'B', ...) or the tie."""
    return f"compare.vote.{label}"


def init_compare_state() -> None:
    """Create the compare keys once per session."""
    st.session_state.setdefault(ROUNDS, [])
    st.session_state.setdefault(VOTES, [])


def rounds() -> list[CompareRound]:
    """Every round of the current comparison, oldest first."""
    value: list[CompareRound] = st.session_state[ROUNDS]
    return value


def votes(store: RunStore) -> list[Vote]:
    """Every vote the user has cast: from storage (all sessions), else this session's."""
    opened = store.get()
    if opened is not None:
        stored = safely(opened.votes)
        if stored is not None:
            return stored
    value: list[Vote] = st.session_state[VOTES]
    return value


def cast_vote(winner: str, store: RunStore) -> None:
    """Button callback: record the verdict on the latest round, store it, reveal the names."""
    latest = rounds()[-1]
    if latest.voted:
        return
    latest.winner = winner
    answered = tuple(column.model for column in latest.columns if column.answer.status != Status.FAILED)
    vote = Vote(answered, winner)
    st.session_state[VOTES].append(vote)
    opened = store.get()
    if opened is not None:
        safely(lambda: opened.record_vote(latest.prompt, vote))


def new_comparison() -> None:
    """Button callback: start over (votes and the leaderboard stay)."""
    st.session_state[ROUNDS] = []
