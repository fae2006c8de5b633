"""Compare page pieces: the model picker, the columns of a round, the vote and the summary."""

from __future__ import annotations

import queue
from collections.abc import Callable, Sequence

import streamlit as st

from components.config import gateway_for
from components.message import render_body
from components.stream_view import StreamView
from core.compare import TIE, CompareRound, estimate_cost, format_cost, summary_rows
from core.conversation import ChatParams, Status
from core.gateway import RetryWait, TextDelta
from core.presentation import format_seconds
from core.pump import EventPump, merged_ticks
from core.request import build_request
from core.settings import Settings
from core.turn import TurnRecorder


def column_title(round_: CompareRound, index: int, blind: bool) -> str:
    """'Model A' while blind and unvoted, else the model id."""
    if blind and not round_.voted:
        return f"Model {round_.label_of(index)}"
    label = f"{round_.label_of(index)} · " if blind else ""
    return f"{label}{round_.columns[index].model}"


def render_round(round_: CompareRound, blind: bool, prices: dict[str, tuple[float, float]]) -> None:
    """A finished round: the prompt, then one bordered column per model."""
    with st.chat_message("user", avatar=":material/person:"):
        st.markdown(round_.prompt)
    for index, column in _columns_in_display_order(round_, blind):
        with column:
            _render_finished_column(round_, index, blind, prices)


def _columns_in_display_order(
    round_: CompareRound, blind: bool
) -> list[tuple[int, st.delta_generator.DeltaGenerator]]:
    order = round_.order if blind and round_.order else list(range(len(round_.columns)))
    containers = st.columns(len(order), border=True)
    return list(zip(order, containers, strict=True))


def _render_finished_column(
    round_: CompareRound, index: int, blind: bool, prices: dict[str, tuple[float, float]]
) -> None:
    column = round_.columns[index]
    st.subheader(column_title(round_, index, blind), divider="gray")
    render_body(column.answer)
    if blind and not round_.voted:
        return  # the model's name is in the usage line; it stays hidden until the vote
    usage = column.answer.usage if column.answer.usage_reported else None
    st.caption(f"Cost: {format_cost(estimate_cost(column.model, usage, prices))}")


def stream_round(
    settings: Settings, api_key: str, round_: CompareRound, params: ChatParams, blind: bool
) -> None:
    """Send the round's prompt to every model at once; each streams into its own column."""
    outbox: queue.Queue[tuple[object, object]] = queue.Queue()
    views: dict[int, StreamView] = {}
    recorders: dict[int, TurnRecorder] = {}
    headers: dict[int, st.delta_generator.DeltaGenerator] = {}
    containers: dict[int, st.delta_generator.DeltaGenerator] = {}
    pumps = []
    with st.chat_message("user", avatar=":material/person:"):
        st.markdown(round_.prompt)
    for index, container in _columns_in_display_order(round_, blind):
        column = round_.columns[index]
        containers[index] = container
        with container:
            st.subheader(column_title(round_, index, blind), divider="gray")
            headers[index] = st.empty()
            views[index] = StreamView()
        column_params = ChatParams(**{**params.__dict__, "model": column.model})
        gateway = gateway_for(settings, api_key)
        body = build_request(column.history, column_params, include_usage=gateway.wants_usage())
        recorders[index] = TurnRecorder(column.answer)
        pumps.append(EventPump(gateway, body, outbox=outbox, tag=index))
    for pump in pumps:
        pump.start()
    try:
        for tag, event in merged_ticks(pumps, outbox):
            if event is None or not isinstance(tag, int):
                continue
            recorders[tag].apply(event)
            if isinstance(event, TextDelta):
                views[tag].show_text(round_.columns[tag].answer.text)
                timing = round_.columns[tag].answer.timing
                headers[tag].caption(f"first token {format_seconds(timing.first_token_s)}")
            elif isinstance(event, RetryWait):
                views[tag].show_status(f"{event.error.title}. Retrying in {event.remaining_s:.0f} s…")
    finally:
        for index, pump in enumerate(pumps):
            if round_.columns[index].answer.status == Status.STREAMING:
                pump.cancel()
                recorders[index].stop()
    for index, view in views.items():
        view.clear()
        headers[index].empty()
        with containers[index]:
            render_body(round_.columns[index].answer)


def render_vote(round_: CompareRound, on_vote: Callable[[str], None]) -> None:
    """Blind vote: one button per label, and a tie."""
    st.markdown("**Which answer is best?** The names are revealed after the vote.")
    row = st.container(horizontal=True)
    for index in round_.order:
        label = round_.label_of(index)
        row.button(
            f"{label} is best",
            key=f"compare.vote.{label}",
            on_click=on_vote,
            args=(round_.columns[index].model,),
        )
    row.button("It's a tie", key="compare.vote.tie", on_click=on_vote, args=(TIE,))


def render_summary(round_: CompareRound, prices: dict[str, tuple[float, float]]) -> None:
    """The round's table and a chart of speed per model."""
    rows = summary_rows(round_.columns, prices, round_.winner)
    st.dataframe(rows, hide_index=True, width="stretch")
    chart = {
        "model": [str(row["model"]) for row in rows],
        "total (s)": [row["total (s)"] or 0.0 for row in rows],
        "first token (s)": [row["first token (s)"] or 0.0 for row in rows],
    }
    st.bar_chart(
        chart,
        x="model",
        y=["first token (s)", "total (s)"],
        stack=False,
        horizontal=True,
        height=80 + 50 * len(rows),
    )


def models_row(models: Sequence[str]) -> str:
    """'o3 vs gpt-4o vs o4-mini'."""
    return " vs ".join(models)
