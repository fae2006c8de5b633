"""This run's Compare round: admitted by the user's limits, stored before anything is sent, then
one lane per model streamed through the shared driver into its own column, each answer stored
as it streams and settles. The Compare page's counterpart of chat_turn."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components.answer_feedback import feedback_drawer
from components.compare_view import (
    FeedbackDrawer,
    column_title,
    columns_in_display_order,
    first_token_caption,
    render_column_footer,
    render_finished_column,
    render_prompt,
)
from components.plumbing.compare_persistence import RoundSaver
from components.plumbing.storage import RunStore
from components.plumbing.usage import Reservation, reserve
from components.sidebar import CompareChoice
from components.state.compare import STOP, comparison_id, rounds
from components.state.feedback import COMPARE
from components.streaming import Lane, prepare_lane, run_lanes
from core.compare import CompareRound
from core.compare_flow import (
    column_params,
    restart_column,
    start_round,
    with_instructions,
    without_refused,
)
from core.conversation import ChatParams, DocumentAttachment, ImageAttachment, Message
from core.pricing import Prices
from core.safe_text import literal
from core.settings import Settings

AnswerHook = Callable[[int, Message], None]  # (column index, the answer as it stands)


def send_round(
    settings: Settings,
    store: RunStore,
    choice: CompareChoice,
    prompt: str,
    images: Sequence[ImageAttachment] = (),
    *,
    documents: Sequence[DocumentAttachment] = (),
    instructions: str = "",
    fresh: bool = False,
) -> CompareRound | str:
    """The one place Compare sends a round (a typed prompt or a prompt set's): admitted by the
    user's limits (one request per model), then planned, stored, drawn and streamed to every
    model at once; over a limit, nothing is sent and the refusal is returned. `instructions` (a
    prompt set prompt's own) replace the sidebar's for this round; `fresh` sends it without
    earlier rounds."""
    past = rounds()
    params = with_instructions(choice.params, instructions)
    round_ = start_round(
        past,
        choice.models,
        prompt,
        images=images,
        documents=documents,
        blind=choice.blind,
        fresh=fresh,
        params=params,
        own=[setup.own for setup in choice.columns],
    )
    requests = [(column.history, column_params(params, column, choice.role)) for column in round_.columns]
    admitted = reserve(store, settings, requests, page="compare")
    if isinstance(admitted, str):
        return admitted
    saver = RoundSaver(store.comparisons(), choice.params)
    saver.before_sending(round_)
    past.append(round_)
    stream_round(
        settings,
        choice.api_key or "",
        round_,
        choice,
        dict(settings.prices),
        on_text=lambda _index, answer: saver.progress(answer),
        on_settled=_settled(saver, admitted),
        feedback=feedback_drawer(store, COMPARE, {} if comparison_id() else None),  # nothing rated yet
    )
    return round_


def resend_column(
    settings: Settings, store: RunStore, choice: CompareChoice, round_: CompareRound, index: int, name: str
) -> str | None:
    """Send column `index` of the latest round again without the parameter `name` the gateway
    refused; its answer is streamed and stored in place, the other columns stay as they are.
    Over a usage limit nothing is sent and the refusal is returned."""
    params, column = without_refused(round_.columns[index], name, round_.params or choice.params)
    request = (column.history, column_params(params, column, choice.role))
    admitted = reserve(store, settings, [request], page="compare")
    if isinstance(admitted, str):
        return admitted
    restart_column(round_, index, column.own)
    saver = RoundSaver(store.comparisons(), choice.params)
    saver.columns_changed(round_)
    stream_round(
        settings,
        choice.api_key or "",
        round_,
        choice,
        dict(settings.prices),
        on_text=lambda _index, answer: saver.progress(answer),
        on_settled=lambda _index, answer: _settled(saver, admitted)(0, answer),
        only=index,
        params=params,
    )
    return None


def _settled(saver: RoundSaver, reservation: Reservation) -> AnswerHook:
    """A column's final answer: stored with the round, and its request's usage recorded."""

    def settled(index: int, answer: Message) -> None:
        # The usage first: it touches no st state, so a closed tab (after which every st call
        # raises) cannot keep it from being recorded.
        reservation.settle(index, answer)
        saver.settled(answer)

    return settled


def stream_round(
    settings: Settings,
    api_key: str,
    round_: CompareRound,
    choice: CompareChoice,
    prices: Prices,
    *,
    on_text: AnswerHook,
    on_settled: AnswerHook,
    only: int | None = None,
    params: ChatParams | None = None,
    feedback: FeedbackDrawer | None = None,
) -> None:
    """Send the round's prompt to every model at once (or to the column `only`, the others
    shown as they are); each streams into its own column, and each answer's figures are added
    under it once all have ended (the text is not sent again). `on_text` hears each column's
    answer as text arrives, `on_settled` once it has ended; `feedback` draws the thumbs under
    each answer once all have ended."""
    render_prompt(round_)
    stop = st.empty()
    stop.button("Stop all", key=STOP, icon=":material/stop_circle:", help="Stop every answer")
    lanes: list[Lane] = []
    footers: dict[int, DeltaGenerator] = {}
    params = params or round_.params or choice.params
    for index, container in columns_in_display_order(round_):
        column = round_.columns[index]
        title = column_title(round_, index)
        with container:
            if only is not None and index != only:
                render_finished_column(round_, index, prices, feedback, latest=True)
                continue
            st.subheader(literal(title), divider="gray")
            lane = prepare_lane(
                settings,
                api_key,
                column.history,
                column_params(params, column, choice.role),
                column.answer,
                label=title,
                on_text=_on_text(index, st.empty(), on_text),
                on_settled=lambda answer, index=index: on_settled(index, answer),  # type: ignore[misc]
            )
            lane.draw()
            lanes.append(lane)
            footers[index] = st.container()
    run_lanes(lanes, stop_label="Stop all")
    stop.empty()
    for index, footer in footers.items():
        with footer:
            render_column_footer(round_, index, prices, feedback, latest=True)


def _on_text(index: int, slot: DeltaGenerator, hook: AnswerHook) -> Callable[[Message], None]:
    caption = first_token_caption(slot)

    def on_text(answer: Message) -> None:
        caption(answer)
        hook(index, answer)

    return on_text
