"""Compare page pieces: the columns of a round, the vote, the round's and
the whole comparison's summaries, and the leaderboard."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components.error_card import render_error_card
from components.message import AVATARS, render_answer_text, render_body
from components.presenter import costs_hidden
from components.state.compare import request_resend, resend_key, vote_key
from core.answer_notes import format_seconds, status_note, usage_line
from core.compare import (
    COST_COLUMN,
    MEDIAN_FIRST_TOKEN,
    MEDIAN_TOKENS_PER_S,
    TIE,
    CompareRound,
    Vote,
    comparison_summary,
    leaderboard,
    summary_rows,
)
from core.conversation import Message, Status
from core.gateway.errors import refused_parameter_of
from core.pricing import Prices, estimate_cost, format_cost, format_usd
from core.safe_text import literal
from core.sampling import label as parameter_label


def column_title(round_: CompareRound, index: int) -> str:
    """'Model A' while a blind round waits for its vote, else the model id."""
    if round_.blind and not round_.voted:
        return f"Model {round_.label_of(index)}"
    label = f"{round_.label_of(index)} · " if round_.blind else ""
    return f"{label}{round_.columns[index].name}"  # an imported comparison names any model


def render_prompt(round_: CompareRound) -> None:
    """The prompt bubble, with its images: the same user message every column received."""
    with st.chat_message("user", avatar=AVATARS["user"]):
        render_body(round_.prompt_message)


FeedbackDrawer = Callable[[DeltaGenerator, Message], None]


def render_round(
    round_: CompareRound, prices: Prices, feedback: FeedbackDrawer | None = None, *, latest: bool = False
) -> None:
    """A finished round: the prompt, then one bordered column per model (the latest round's
    columns offer to send again without a parameter the gateway refused; each answer takes
    feedback when `feedback` can store it)."""
    render_prompt(round_)
    for index, column in columns_in_display_order(round_):
        with column:
            render_finished_column(round_, index, prices, feedback, latest=latest)


def render_finished_column(
    round_: CompareRound, index: int, prices: Prices, feedback: FeedbackDrawer | None = None, *, latest: bool
) -> None:
    """One column of a round that is not streaming: its title, answer and footer."""
    st.subheader(literal(column_title(round_, index)), divider="gray")
    answer = round_.columns[index].answer
    render_answer_text(answer.text)
    render_column_footer(round_, index, prices, feedback, latest=latest)


def columns_in_display_order(round_: CompareRound) -> list[tuple[int, DeltaGenerator]]:
    order = round_.order if round_.blind and round_.order else list(range(len(round_.columns)))
    containers = st.columns(len(order), border=True)
    return list(zip(order, containers, strict=True))


def render_column_footer(
    round_: CompareRound,
    index: int,
    prices: Prices,
    feedback: FeedbackDrawer | None = None,
    *,
    latest: bool = False,
) -> None:
    """What went wrong if anything (in the latest round, a parameter the gateway refused can be
    left out in one click), then the answer's figures and cost estimate, then the feedback on it."""
    column = round_.columns[index]
    answer = column.answer
    note = status_note(answer)
    if note:
        st.warning(literal(note), icon=":material/content_cut:")
    if answer.error is not None:
        render_error_card(answer.error)
    refused = refused_parameter_of(answer.error)
    if latest and refused is not None:
        st.button(
            f"Send again without {literal(parameter_label(refused).lower())}",
            key=resend_key(answer.id),
            icon=":material/replay:",
            on_click=request_resend,
            args=(index, column.model, refused, getattr(column.own, refused) is not None),
        )
    if answer.status != Status.FAILED:
        st.caption(literal(usage_line(answer, with_model=False)))  # a blind column must not name its model
        # The prices would give a blind model away; a presenter may keep costs off screen.
        if not (round_.blind and not round_.voted) and not costs_hidden():
            usage = answer.usage if answer.usage_reported else None
            st.caption(f"Cost: {literal(format_cost(estimate_cost(column.model, usage, prices)))}")
    if feedback is not None:
        feedback(st.container(horizontal=True, gap="small", vertical_alignment="center"), answer)


def first_token_caption(slot: DeltaGenerator) -> Callable[[Message], None]:
    """A column's 'first token 850 ms' line, sent once, as its first words arrive."""
    shown = False

    def on_text(answer: Message) -> None:
        nonlocal shown
        if not shown:
            slot.caption(f"first token {literal(format_seconds(answer.timing.first_token_s))}")
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
            f"{literal(label)} is best",
            key=vote_key(label, position),
            on_click=on_vote,
            args=(round_.columns[index].name,),
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
