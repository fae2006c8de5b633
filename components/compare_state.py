"""The compare page's session state, under its own namespace."""

from __future__ import annotations

import streamlit as st

from components.persistence import safely
from components.sidebar import ROLE_AUTO
from core.compare import CompareRound, Vote
from core.conversation import Status
from core.storage import ConversationStore

ROUNDS = "compare.rounds"
VOTES = "compare.votes"


def init_compare_state() -> None:
    """Create the compare keys once per session."""
    st.session_state.setdefault(ROUNDS, [])
    st.session_state.setdefault(VOTES, [])


def rounds() -> list[CompareRound]:
    """Every round of the current comparison, oldest first."""
    value: list[CompareRound] = st.session_state[ROUNDS]
    return value


def votes(store: ConversationStore | None = None) -> list[Vote]:
    """Every vote the user has cast: from storage (all sessions), else this session's."""
    if store is not None:
        stored = safely(store.votes)
        if stored is not None:
            return stored
    value: list[Vote] = st.session_state[VOTES]
    return value


def cast_vote(winner: str, store: ConversationStore | None = None) -> None:
    """Button callback: record the verdict on the latest round, store it, reveal the names."""
    latest = rounds()[-1]
    if latest.voted:
        return
    latest.winner = winner
    answered = tuple(column.model for column in latest.columns if column.answer.status != Status.FAILED)
    vote = Vote(answered, winner)
    st.session_state[VOTES].append(vote)
    if store is not None:
        safely(lambda: store.record_vote(latest.prompt, vote))


def new_comparison() -> None:
    """Button callback: start over (votes and the leaderboard stay)."""
    st.session_state[ROUNDS] = []


def instructions_role_is_auto() -> bool:
    """True when the compare sidebar leaves the instructions role to each model."""
    return st.session_state.get("compare.instructions_role", ROLE_AUTO) == ROLE_AUTO
