"""This run's turn: its request sent as soon as the turn is known, before the page is drawn, and
the prompt stored while it travels; then the answer bubble, streamed through the shared driver
(or marked as not sent with what to fix), its footer and buttons."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import streamlit as st

from components.attachments import detected_links_note
from components.message import AVATARS, RowItem, render_answer_footer, render_body
from components.plumbing.chat_persistence import TurnSaver
from components.plumbing.storage import RunStore
from components.plumbing.usage import Reservation
from components.sidebar import ChatChoice
from components.state.chat import STOP
from components.streaming import Lane, prepare_lane, run_lanes, start_lanes
from core.chat_flow import Turn, fail_before_sending
from core.conversation import Message, Status
from core.gateway.errors import settings_error
from core.safe_text import literal
from core.settings import Settings

if TYPE_CHECKING:
    from core.gateway.pump import EventPump


@dataclass
class SentTurn:
    """A turn whose request has left (or that was refused before sending: no lane)."""

    turn: Turn
    choice: ChatChoice
    lane: Lane | None
    pump: EventPump[int] | None


@contextmanager
def send_turn(
    settings: Settings,
    choice: ChatChoice,
    planned: tuple[Turn, Reservation | None] | None,
    store: RunStore,
) -> Iterator[SentTurn | None]:
    """Send the planned turn's request, then store its prompt (and empty answer) while the
    request travels: both before any of the answer is drawn. However the run ends (a Stop, a
    rerun, an error while the page is drawn), the call is closed and the answer settled, kept
    and marked stopped."""
    if planned is None:
        yield None
        return
    turn, reservation = planned
    saver = TurnSaver(store.conversations(), turn, choice.params)
    lane, pump = None, None
    if reservation is not None and choice.api_key:
        lane = prepare_lane(
            settings,
            choice.api_key,
            turn.context,
            choice.params,
            turn.answer,
            label=choice.params.model,
            on_text=saver.progress,
            on_settled=_settled(saver, reservation, turn),
        )
        pump = start_lanes([lane])
    elif turn.answer.status != Status.FAILED:  # not refused by a limit: the sidebar needs fixing
        fail_before_sending(turn.answer, settings_error(choice.problems))
    try:
        saver.store_prompt()
        if lane is None:
            saver.settled(turn.answer)
        yield SentTurn(turn, choice, lane, pump)
    finally:
        if pump is not None:
            pump.cancel()
        if lane is not None:
            lane.settle()


def _settled(saver: TurnSaver, reservation: Reservation, turn: Turn) -> Callable[[Message], None]:
    # A Continue adds to the answer: only what this request brings is its usage.
    prior_usage = turn.answer.usage if turn.continuing else None
    prior_chars = len(turn.answer.text) if turn.continuing else 0

    def settled(answer: Message) -> None:
        # The usage first: it touches no st state, so a closed tab (after which every st call
        # raises) cannot keep it from being recorded.
        reservation.settle(0, answer, prior_usage, prior_chars)
        saver.settled(answer)

    return settled


def render_turn(sent: SentTurn, actions_for: Callable[[Message, bool], Sequence[RowItem]]) -> None:
    """The turn's answer bubble: streamed as it arrives (saved and its usage recorded as it
    goes), or the reason it was not sent."""
    answer = sent.turn.answer
    with st.chat_message("assistant", avatar=AVATARS["assistant"]):
        if sent.lane is not None:
            sent.lane.draw(stop_key=STOP)
            run_lanes([sent.lane], pump=sent.pump)
            render_answer_footer(answer, actions_for(answer, True))
        else:
            render_body(answer, actions_for(answer, True))
    context = sent.turn.context
    note = None if sent.choice.send_links else detected_links_note(context[-1].text if context else "")
    if note and not sent.turn.continuing:
        st.info(literal(note), icon=":material/image:")
