"""Compare page pieces: the columns of a round (finished or streaming), the vote, the round's and
the whole comparison's summaries, and the leaderboard."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components.error_card import render_error_card
from components.markdown import safe
from components.message import AVATARS, render_body
from components.presenter import costs_hidden
from components.sidebar import CompareChoice
from components.state.compare import STOP, vote_key
from components.streaming import Lane, prepare_lane, run_lanes
from components.usage import Reservation
from core.compare import (
    COST_COLUMN,
    MEDIAN_FIRST_TOKEN,
    MEDIAN_TOKENS_PER_S,
    TIE,
    CompareRound,
    Vote,
    comparison_summary,
    estimate_cost,
    format_cost,
    format_usd,
    leaderboard,
    summary_rows,
)
from core.compare_flow import column_params
from core.conversation import Message, Status
from core.presentation import format_seconds, status_note, usage_line
from core.settings import Settings

if TYPE_CHECKING:
    from components.compare_session import RoundSaver

Prices = dict[str, tuple[float, float]]


def column_title(round_: CompareRound, index: int) -> str:
    """'Model A' while a blind round waits for its vote, else the model id."""
    if round_.blind and not round_.voted:
        return f"Model {round_.label_of(index)}"
    label = f"{round_.label_of(index)} · " if round_.blind else ""
    return f"{label}{round_.columns[index].model}"


def _render_prompt(round_: CompareRound) -> None:
    """The prompt bubble, with its images: the same user message every column received."""
    with st.chat_message("user", avatar=AVATARS["user"]):
        render_body(round_.prompt_message)


def render_round(round_: CompareRound, prices: Prices) -> None:
    """A finished round: the prompt, then one bordered column per model."""
    _render_prompt(round_)
    for index, column in _columns_in_display_order(round_):
        with column:
            st.subheader(column_title(round_, index), divider="gray")
            answer = round_.columns[index].answer
            if answer.text:
                st.markdown(safe(answer.text))
            _render_column_footer(round_, index, prices)


def _columns_in_display_order(round_: CompareRound) -> list[tuple[int, DeltaGenerator]]:
    order = round_.order if round_.blind and round_.order else list(range(len(round_.columns)))
    containers = st.columns(len(order), border=True)
    return list(zip(order, containers, strict=True))


def _render_column_footer(round_: CompareRound, index: int, prices: Prices) -> None:
    """What went wrong if anything, then the answer's figures and cost estimate."""
    column = round_.columns[index]
    answer = column.answer
    note = status_note(answer)
    if note:
        st.warning(note, icon=":material/content_cut:")
    if answer.error is not None:
        render_error_card(answer.error)
    if answer.status == Status.FAILED:
        return
    st.caption(usage_line(answer, with_model=False))  # a blind column must not name its model
    if (round_.blind and not round_.voted) or costs_hidden():
        return  # the prices would give a blind model away; a presenter may keep costs off screen
    usage = answer.usage if answer.usage_reported else None
    st.caption(f"Cost: {format_cost(estimate_cost(column.model, usage, prices))}")


def stream_round(
    settings: Settings,
    api_key: str,
    round_: CompareRound,
    choice: CompareChoice,
    prices: Prices,
    saver: RoundSaver | None = None,
    reservation: Reservation | None = None,
) -> None:
    """Send the round's prompt to every model at once; each streams into its own column, and
    each answer's figures are added under it once all have ended (the text is not sent again).
    The saver checkpoints each answer as it streams and stores its final state."""
    _render_prompt(round_)
    stop = st.empty()
    stop.button("Stop all", key=STOP, icon=":material/stop_circle:", help="Stop every answer")
    lanes: list[Lane] = []
    footers: dict[int, DeltaGenerator] = {}
    params = round_.params or choice.params
    for index, container in _columns_in_display_order(round_):
        column = round_.columns[index]
        title = column_title(round_, index)
        with container:
            st.subheader(title, divider="gray")
            first_token = st.empty()
            lane = prepare_lane(
                settings,
                api_key,
                column.history,
                column_params(params, column.model, choice.role),
                column.answer,
                label=title,
                on_text=_on_text(first_token, saver),
                on_settled=_on_settled(index, saver, reservation),
            )
            lane.draw()
            lanes.append(lane)
            footers[index] = st.container()
    run_lanes(lanes, stop_label="Stop all")
    stop.empty()
    for index, footer in footers.items():
        with footer:
            _render_column_footer(round_, index, prices)


def _on_settled(
    index: int, saver: RoundSaver | None, reservation: Reservation | None
) -> Callable[[Message], None]:
    """Column `index`'s final answer: stored with the round, and its request's usage recorded."""

    def settled(answer: Message) -> None:
        # The usage first: it touches no st state, so a closed tab (after which every st call
        # raises) cannot keep it from being recorded.
        if reservation is not None:
            reservation.settle(index, answer)
        if saver is not None:
            saver.settled(answer)

    return settled


def _on_text(slot: DeltaGenerator, saver: RoundSaver | None) -> Callable[[Message], None]:
    caption = _first_token_caption(slot)

    def on_text(answer: Message) -> None:
        caption(answer)
        if saver is not None:
            saver.progress(answer)

    return on_text


def _first_token_caption(slot: DeltaGenerator) -> Callable[[Message], None]:
    """A column's 'first token 850 ms' line, sent once, as its first words arrive."""
    shown = False

    def on_text(answer: Message) -> None:
        nonlocal shown
        if not shown:
            slot.caption(f"first token {format_seconds(answer.timing.first_token_s)}")
            shown = True

    return on_text


def render_vote(round_: CompareRound, on_vote: Callable[[str], None], position: int | None = None) -> None:
    """Blind vote: one button per label of a model that answered, and a tie. `position` names an
    earlier round still waiting for its vote (None: the latest)."""
    which = "" if position is None else f" (round {position + 1})"
    st.markdown(f"**Which answer is best{which}?** The names are revealed after the vote.")
    row = st.container(horizontal=True)
    for index in round_.order:
        if round_.columns[index].answer.status == Status.FAILED:
            continue
        label = round_.label_of(index)
        row.button(
            f"{label} is best",
            key=vote_key(label, position),
            on_click=on_vote,
            args=(round_.columns[index].model,),
        )
    row.button("It's a tie", key=vote_key(TIE, position), on_click=on_vote, args=(TIE,))


def _with_cost_cells(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """The table's rows with the cost as text ('≈ $0.0012'), or without it when the presenter
    hides costs."""
    if costs_hidden():
        return [{k: v for k, v in row.items() if k != COST_COLUMN} for row in rows]
    return [{**row, COST_COLUMN: format_usd(_usd(row[COST_COLUMN]))} for row in rows]


def render_summary(round_: CompareRound, prices: Prices) -> None:
    """The round's table and a chart of speed per model."""
    rows = summary_rows(round_.columns, prices, round_.winner)
    st.dataframe(_with_cost_cells(rows), hide_index=True, width="stretch", column_config=_SUMMARY_LABELS)
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


def render_comparison_summary(rounds: Sequence[CompareRound], prices: Prices) -> None:
    """Every round at once, per model: median time to first token and tokens per second, total
    tokens and estimated cost, votes; as a chart and a table."""
    rows = comparison_summary(rounds, prices)
    st.dataframe(_with_cost_cells(rows), hide_index=True, width="stretch", column_config=_COMPARISON_LABELS)
    chart = {
        "model": [str(row["model"]) for row in rows],
        "median first token (s)": [row[MEDIAN_FIRST_TOKEN] or 0.0 for row in rows],
        "median tokens/s": [row[MEDIAN_TOKENS_PER_S] or 0.0 for row in rows],
    }
    left, right = st.columns(2)
    for slot, measure, unit in (
        (left, "median first token (s)", "seconds"),
        (right, "median tokens/s", "tokens per second"),
    ):
        slot.bar_chart(
            chart, x="model", y=measure, x_label="", y_label=unit, horizontal=True, height=80 + 50 * len(rows)
        )


_COMPARISON_LABELS: dict[str, str] = {
    MEDIAN_FIRST_TOKEN: "median 1st token (s)",
    "prompt tokens": "prompt",
    "completion tokens": "completion",
    "total tokens": "total",
    COST_COLUMN: "cost (est.)",
}


def _usd(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


# Short headings so the round's table fits beside the sidebar; the export keeps the long ones.
_SUMMARY_LABELS: dict[str, str] = {
    "first token (s)": "1st token (s)",
    "prompt tokens": "prompt",
    "completion tokens": "completion",
    "reasoning tokens": "reasoning",
    "cached tokens": "cached",
    COST_COLUMN: "cost (est.)",
}


def render_leaderboard(votes: Sequence[Vote]) -> None:
    """Wins per model across every blind vote, folded away until opened."""
    if not votes:
        return
    with st.expander("Leaderboard (blind votes)", expanded=False, icon=":material/leaderboard:"):
        st.dataframe(
            [
                {
                    "model": s.model,
                    "wins": s.wins,
                    "ties": s.ties,
                    "rounds": s.rounds,
                    "win rate": f"{s.win_rate:.0%}",
                }
                for s in leaderboard(votes)
            ],
            hide_index=True,
        )
