"""Compare page pieces: the model picker, the columns of a round, the vote and the summary."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Sequence

import streamlit as st

from components.config import gateway_for
from components.error_card import render_error_card
from components.message import AVATARS, render_body
from components.stream_view import StreamView
from core.compare import TIE, CompareRound, estimate_cost, format_cost, summary_rows
from core.compare_flow import column_params
from core.conversation import ChatParams, Message, Status, user_message
from core.events import RetryWait, TextDelta
from core.presentation import STATUS_LABELS, format_seconds, format_waited, status_note
from core.pump import EventPump, merged_ticks
from core.request import build_request
from core.settings import Settings
from core.turn import TurnRecorder, answer_metrics


def column_title(round_: CompareRound, index: int, blind: bool) -> str:
    """'Model A' while blind and unvoted, else the model id."""
    if blind and not round_.voted:
        return f"Model {round_.label_of(index)}"
    label = f"{round_.label_of(index)} · " if blind else ""
    return f"{label}{round_.columns[index].model}"


def _render_prompt(round_: CompareRound) -> None:
    """The prompt bubble, with its images: the same user message every column received."""
    prompt = round_.columns[0].history[-1] if round_.columns else user_message(round_.prompt)
    with st.chat_message("user", avatar=AVATARS["user"]):
        render_body(prompt)


def render_round(round_: CompareRound, blind: bool, prices: dict[str, tuple[float, float]]) -> None:
    """A finished round: the prompt, then one bordered column per model."""
    _render_prompt(round_)
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
    st.subheader(column_title(round_, index, blind), divider="gray")
    _render_column_body(round_, index, blind, prices)


def _render_column_body(
    round_: CompareRound, index: int, blind: bool, prices: dict[str, tuple[float, float]]
) -> None:
    """The answer, then what went wrong if anything, then its figures and cost estimate."""
    column = round_.columns[index]
    answer = column.answer
    if answer.text:
        st.markdown(answer.text)
    note = status_note(answer)
    if note:
        st.warning(note, icon=":material/content_cut:")
    if answer.error is not None:
        render_error_card(answer.error)
    if answer.status == Status.FAILED:
        return
    st.caption(metrics_line(answer))
    if blind and not round_.voted:
        return  # the prices used would give the model away; the cost shows after the vote
    usage = answer.usage if answer.usage_reported else None
    st.caption(f"Cost: {format_cost(estimate_cost(column.model, usage, prices))}")


def metrics_line(answer: Message) -> str:
    """Times, speed and tokens of one column, without the model's name (blind mode hides it)."""
    metrics = answer_metrics(answer)
    parts = [
        f"first token {format_seconds(metrics.first_token_s)}",
        f"total {format_seconds(metrics.total_s)}",
    ]
    if metrics.tokens_per_s is not None:
        parts.append(f"{metrics.tokens_per_s:.1f} tokens/s")
    usage = answer.usage
    if usage is not None and answer.usage_reported:
        parts.append(
            f"{usage.prompt_tokens:,} prompt · {usage.completion_tokens:,} completion · "
            f"{usage.reasoning_tokens:,} reasoning · {usage.cached_tokens:,} cached tokens"
        )
    else:
        parts.append("usage not reported")
    label = STATUS_LABELS.get(answer.status)
    if label:
        parts.append(label)
    return " · ".join(parts)


def stream_round(
    settings: Settings,
    api_key: str,
    round_: CompareRound,
    params: ChatParams,
    blind: bool,
    prices: dict[str, tuple[float, float]],
    *,
    auto_role: bool = False,
) -> None:
    """Send the round's prompt to every model at once; each streams into its own column."""
    outbox: queue.Queue[tuple[object, object]] = queue.Queue()
    views: dict[int, StreamView] = {}
    recorders: dict[int, TurnRecorder] = {}
    headers: dict[int, st.delta_generator.DeltaGenerator] = {}
    bodies: dict[int, st.delta_generator.DeltaGenerator] = {}
    pumps: dict[int, EventPump] = {}
    _render_prompt(round_)
    stop = st.empty()
    stop.button("Stop all", key="compare.stop", icon=":material/stop_circle:", help="Stop every answer")
    for index, container in _columns_in_display_order(round_, blind):
        column = round_.columns[index]
        with container:
            st.subheader(column_title(round_, index, blind), divider="gray")
            headers[index] = st.empty()
            bodies[index] = st.container()
            with bodies[index]:
                views[index] = StreamView()
            views[index].show_status("Waiting for the first token…")
        gateway = gateway_for(settings, api_key)
        body = build_request(
            column.history,
            column_params(params, column.model, auto_role=auto_role),
            include_usage=gateway.wants_usage(),
        )
        recorders[index] = TurnRecorder(column.answer)
        pumps[index] = EventPump(gateway, body, outbox=outbox, tag=index)
    for pump in pumps.values():
        pump.start()
    started = time.monotonic()
    try:
        for tag, event in merged_ticks(list(pumps.values()), outbox):
            if event is None or not isinstance(tag, int):
                # Quiet tick: show how long the silent columns have waited (this is also where a
                # Stop press reaches the run when no column is streaming text).
                waited = format_waited(time.monotonic() - started)
                for index, view in views.items():
                    if not round_.columns[index].answer.text and recorders[index].retry_wait is None:
                        view.show_status(f"Waiting for the first token…{waited}")
                continue
            first_text = not round_.columns[tag].answer.text
            recorders[tag].apply(event)
            if isinstance(event, TextDelta):
                views[tag].show_text(round_.columns[tag].answer.text)
                if first_text:
                    timing = round_.columns[tag].answer.timing
                    headers[tag].caption(f"first token {format_seconds(timing.first_token_s)}")
            elif isinstance(event, RetryWait):
                views[tag].show_status(f"{event.error.title}. Retrying in {event.remaining_s:.0f} s…")
    finally:
        # Keyed by column index (not display order), so a blind round stops the right calls.
        for index, pump in pumps.items():
            if round_.columns[index].answer.status == Status.STREAMING:
                pump.cancel()
                recorders[index].stop()
    stop.empty()
    for index, view in views.items():
        view.clear()
        headers[index].empty()
        with bodies[index]:
            _render_column_body(round_, index, blind, prices)


def render_vote(round_: CompareRound, on_vote: Callable[[str], None]) -> None:
    """Blind vote: one button per label of a model that answered, and a tie."""
    st.markdown("**Which answer is best?** The names are revealed after the vote.")
    row = st.container(horizontal=True)
    for index in round_.order:
        if round_.columns[index].answer.status == Status.FAILED:
            continue
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
    shown = [{**row, COST: _cost_cell(row[COST])} for row in rows]
    st.dataframe(shown, hide_index=True, width="stretch", column_config=_SUMMARY_LABELS)
    chart = {
        "model": [str(row["model"]) for row in rows],
        "total (s)": [row["total (s)"] or 0.0 for row in rows],
        "first token (s)": [row["first token (s)"] or 0.0 for row in rows],
    }
    st.bar_chart(
        chart,
        x="model",
        y=["first token (s)", "total (s)"],
        x_label="",
        y_label="seconds",
        stack=False,
        horizontal=True,
        sort=False,
        height=80 + 50 * len(rows),
    )


COST = "cost (USD, est.)"


def _cost_cell(usd: object) -> str:
    return "no price set" if usd is None else f"≈ ${usd:.4f}"


# Short headings so the round's table fits beside the sidebar; the export keeps the long ones.
_SUMMARY_LABELS: dict[str, str] = {
    "first token (s)": "1st token (s)",
    "prompt tokens": "prompt",
    "completion tokens": "completion",
    "reasoning tokens": "reasoning",
    "cached tokens": "cached",
    COST: "cost (est.)",
}


def models_row(models: Sequence[str]) -> str:
    """'o3 vs gpt-4o vs o4-mini'."""
    return " vs ".join(models)
