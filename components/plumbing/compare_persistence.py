"""The compare page's link to storage: which comparison is open (and in the URL), saving each
round as it happens (the prompt and empty answers before anything is sent, checkpoints every few
seconds, each answer's final state), and votes."""

from __future__ import annotations

import time
from contextlib import suppress
from typing import TYPE_CHECKING

import streamlit as st

from components.plumbing.storage import NotFound, RunStore, safely
from components.sidebar import restore_compare_params
from components.state.compare import (
    QUERY,
    comparison_id,
    rounds,
    session_votes,
    set_comparison_id,
    show_rounds,
)
from core.compare import ColumnSetup, CompareRound, Vote
from core.conversation import ChatParams, Message, Status
from core.gateway.errors import interrupted_error

if TYPE_CHECKING:
    from components.plumbing.storage import ComparisonStore, StoredComparison

CHECKPOINT_EVERY_S = 2.0


def open_from_url(store: RunStore) -> str | None:
    """Before the sidebar is drawn: open the comparison the URL names if it is not the one on
    show. Returns a notice when it cannot be opened."""
    wanted = st.query_params.get(QUERY)
    if not wanted or wanted == comparison_id():
        return None
    comparisons = store.comparisons()
    if comparisons is None:
        return None
    try:
        loaded = safely(lambda: comparisons.load(wanted))
    except NotFound:
        show_rounds([], None)
        return "That comparison does not exist (or is not yours). Here is a new comparison instead."
    if loaded is not None:
        show_comparison(loaded)
    return None


def show_comparison(stored: StoredComparison) -> None:
    """Make a stored comparison the one on the page, with the models, blind mode and options it
    was last sent with. An answer still marked as streaming was cut short by a restart: it shows
    as interrupted, with the text of its last checkpoint."""
    for round_ in stored.rounds:
        for column in round_.columns:
            if column.answer.status == Status.STREAMING:
                column.answer.status = Status.INCOMPLETE
                column.answer.error = interrupted_error()
    show_rounds(stored.rounds, stored.info.id)
    latest = stored.rounds[-1] if stored.rounds else None
    columns = [ColumnSetup(column.model, column.own) for column in latest.columns] if latest else []
    restore_compare_params(stored.params, columns, latest.blind if latest else False)


class RoundSaver:
    """Keeps one round in the database as it streams. Without a store (the database is down)
    only the page's rounds are kept."""

    def __init__(self, comparisons: ComparisonStore | None, params: ChatParams) -> None:
        # `params` are the sidebar's options (the comparison's latest); a round keeps its own.
        self.comparisons = comparisons
        self.params = params
        self._last_checkpoint: dict[str, float] = {}

    def before_sending(self, round_: CompareRound) -> None:
        """The prompt and every empty answer are stored before anything is sent."""
        comparisons = self.comparisons
        if comparisons is None:
            return
        current = comparison_id()
        stored = safely(lambda: comparisons.begin_round(current, round_, self.params))
        if stored is not None and stored != current:
            set_comparison_id(stored)

    def columns_changed(self, round_: CompareRound) -> None:
        """A column of the round has new parameters of its own: store them with the round."""
        comparisons, current = self.comparisons, comparison_id()
        if comparisons is not None and current is not None:
            with suppress(NotFound):  # the round never reached the database: the page has it
                safely(lambda: comparisons.set_column_parameters(current, round_))

    def progress(self, answer: Message) -> None:
        """Called as text arrives; writes a checkpoint of this answer every few seconds."""
        last = self._last_checkpoint.setdefault(answer.id, time.monotonic())
        if time.monotonic() - last >= CHECKPOINT_EVERY_S:
            self._last_checkpoint[answer.id] = time.monotonic()
            self._save(answer)

    def settled(self, answer: Message) -> None:
        """The answer has its final status, usage and timings: store them."""
        self._save(answer)

    def _save(self, answer: Message) -> None:
        comparisons, current = self.comparisons, comparison_id()
        if comparisons is not None and current is not None:
            safely(lambda: comparisons.save_answer(current, answer))


def leaderboard_votes(store: RunStore) -> list[Vote]:
    """Every blind vote the team has cast (models and winners only: nobody's prompts), from
    storage; without a database, this session's."""
    opened = store.conversations()
    if opened is not None:
        stored = safely(opened.team_votes)
        if stored is not None:
            return stored
    return session_votes()


def cast_vote(winner: str, position: int, store: RunStore) -> None:
    """Button callback: record the verdict on the round at `position`, store it (on the round and
    for the leaderboard), reveal the names."""
    shown = rounds()
    if position >= len(shown) or shown[position].voted:
        return
    round_ = shown[position]
    round_.winner = winner
    answered = tuple(c.name for c in round_.columns if c.answer.status != Status.FAILED)
    vote = Vote(answered, winner)
    session_votes().append(vote)
    current, comparisons = comparison_id(), store.comparisons()
    if comparisons is not None and current is not None:
        prompt_id = round_.prompt_message.id
        try:
            safely(lambda: comparisons.record_round_verdict(current, prompt_id, vote, round_.prompt))
            return
        except NotFound:
            pass  # the round never reached the database: the vote still counts on the leaderboard
    if (opened := store.conversations()) is not None:
        safely(lambda: opened.record_leaderboard_vote(round_.prompt, vote))
