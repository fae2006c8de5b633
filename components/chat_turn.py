"""The answer bubble of this run's turn: streamed from the gateway through the shared driver, or
marked as not sent with what to fix; then its footer and buttons."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from components.attachments import detected_links_note
from components.chat_session import TurnSaver
from components.message import AVATARS, MessageAction, render_answer_footer, render_body
from components.sidebar import ChatChoice
from components.state.chat import STOP
from components.streaming import open_lane, run_lanes
from components.usage import Reservation
from core.chat_flow import Turn, fail_before_sending
from core.conversation import Message, Status
from core.errors import settings_error
from core.settings import Settings


def render_turn(
    settings: Settings,
    choice: ChatChoice,
    turn: Turn,
    saver: TurnSaver,
    reservation: Reservation | None,
    actions_for: Callable[[Message, bool], Sequence[MessageAction]],
) -> None:
    """Request the turn's answer and draw it as it streams; it is saved and its usage recorded
    as it goes."""
    prior_usage = turn.answer.usage if turn.continuing else None

    def settled(answer: Message) -> None:
        saver.settled(answer)
        if reservation is not None:
            reservation.settle(0, answer, prior_usage)

    with st.chat_message("assistant", avatar=AVATARS["assistant"]):
        if reservation is not None and choice.api_key:
            lane = open_lane(
                settings,
                choice.api_key,
                turn.context,
                choice.params,
                turn.answer,
                label=choice.params.model,
                stop_key=STOP,
                on_text=saver.progress,
                on_settled=settled,
            )
            run_lanes([lane])
            render_answer_footer(turn.answer, actions_for(turn.answer, True))
        else:
            if turn.answer.status != Status.FAILED:  # not refused by a limit: the sidebar needs fixing
                fail_before_sending(turn.answer, settings_error(choice.problems))
            saver.settled(turn.answer)
            render_body(turn.answer, actions_for(turn.answer, True))
    note = None if choice.send_links else detected_links_note(turn.context[-1].text if turn.context else "")
    if note and not turn.continuing:
        st.info(note, icon=":material/image:")
