"""The optional request parameters in a sidebar: the reasoning effort of a reasoning model, and
the sampling parameters in a compact "Parameters" expander. Every box empty means "not sent";
a value that cannot be sent is named with its range under its box, and stays as typed."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from components.state.common import NOT_SET, SamplingKeys
from core.compare import ColumnSetup, column_setups
from core.models import is_reasoning_model
from core.safe_text import literal
from core.sampling import (
    MAX_STOP_SEQUENCES,
    REASONING_EFFORTS,
    Sampling,
    SamplingError,
    format_value,
    label,
    names,
    number_range,
    parse_number,
    parse_numbers,
    parse_stop,
)

NUMBERS = ("temperature", "top_p", "seed", "presence_penalty", "frequency_penalty")
SAMPLING_NAMES = (*NUMBERS, "stop")  # what the "Parameters" expander holds
# On Compare, each column has its own effort and temperature; the rest all columns share.
SHARED_NAMES = tuple(name for name in SAMPLING_NAMES if name != "temperature")


def problem_field(name: str) -> str:
    """The sidebar field a parameter's problem is shown under."""
    return f"param.{name}"


def read_sampling(
    keys: SamplingKeys, model: str, only: Sequence[str] = names()
) -> tuple[Sampling, dict[str, str]]:
    """The parameters as the boxes hold them (`only` those names), and a problem per box whose
    value cannot be sent. The reasoning effort counts only for a reasoning model."""
    state = st.session_state
    values: dict[str, object] = {}
    problems: dict[str, str] = {}
    effort = state.get(keys.key("reasoning_effort"))
    if "reasoning_effort" in only and is_reasoning_model(model) and effort in REASONING_EFFORTS:
        values["reasoning_effort"] = effort
    for name in (n for n in SAMPLING_NAMES if n in only):
        raw = str(state.get(keys.key(name)) or "")
        try:
            value = parse_stop(raw) if name == "stop" else parse_number(name, raw)
        except SamplingError as exc:
            problems[name] = str(exc)
            continue
        if value is not None:
            values[name] = value
    return Sampling(**values), problems  # type: ignore[arg-type]


def draw_effort(keys: SamplingKeys, model: str) -> None:
    """The reasoning effort box, for a reasoning model only (others are not sent one)."""
    if not is_reasoning_model(model):
        return
    st.selectbox(
        "Reasoning effort",
        [NOT_SET, *REASONING_EFFORTS],
        key=keys.key("reasoning_effort"),
        help="Sent as reasoning_effort when set: how long an o-series model thinks before answering.",
    )


def draw_parameters(
    keys: SamplingKeys, problems: dict[str, str], sampling: Sampling, only: Sequence[str] = SAMPLING_NAMES
) -> None:
    """The "Parameters" expander (opened when a value needs fixing), and what is sent, below it."""
    with st.expander("Parameters", expanded=bool(problems), icon=":material/tune:"):
        st.caption("Each is sent only when set; leave a box empty to use the model's default.")
        for name in (n for n in NUMBERS if n in only):
            _number_box(keys, name, problems.get(name))
        if "stop" in only:
            st.text_area(
                "Stop sequences",
                key=keys.key("stop"),
                placeholder="not set",
                height=68,
                help=f"One per line, up to {MAX_STOP_SEQUENCES}: the answer ends before any of them.",
            )
            _show(problems.get("stop"))
    summary = sampling.summary()
    if summary:
        st.caption(f"Sent: {literal(summary)}")


def restore_sampling(keys: SamplingKeys, sampling: Sampling) -> None:
    """Put stored parameters back into their boxes (before they are drawn)."""
    state = st.session_state
    for name in names():
        value = getattr(sampling, name)
        if name == "reasoning_effort":
            state[keys.key(name)] = value or NOT_SET
        else:
            state[keys.key(name)] = format_value(name, value)


def _number_box(keys: SamplingKeys, name: str, problem: str | None) -> None:
    if name == "seed":
        hint = "a whole number: the same seed asks for the same answer"
    else:
        low, high = number_range(name)
        hint = f"from {low:g} to {high:g}"
    st.text_input(
        literal(label(name)),
        key=keys.key(name),
        placeholder="not set",
        help=literal(f"Sent as {name} when set: {hint}."),
    )
    _show(problem)


def _show(problem: str | None) -> None:
    if problem:
        st.error(literal(problem), icon=":material/error:")


def read_column_setups(keys: SamplingKeys, model: str) -> tuple[list[ColumnSetup], str | None]:
    """A Compare model's columns: one per reasoning effort and temperature picked for it, and
    what is wrong with its temperatures (then it gets the efforts' columns only)."""
    state = st.session_state
    picked = state.get(keys.key("reasoning_effort")) or []
    efforts = [e for e in REASONING_EFFORTS if e in picked] if is_reasoning_model(model) else []
    try:
        typed = str(state.get(keys.key("temperature")) or "")
        temperatures = [float(t) for t in parse_numbers("temperature", typed)]
    except SamplingError as exc:
        return column_setups(model, efforts, []), str(exc)
    return column_setups(model, efforts, temperatures), None


def draw_column_setup(keys: SamplingKeys, model: str, problem: str | None) -> None:
    """A Compare model's own reasoning efforts and temperatures, in a small box under its name."""
    with st.container(border=True):
        st.caption(f"**{literal(model)}**")
        if is_reasoning_model(model):
            st.pills(
                "Reasoning effort",
                list(REASONING_EFFORTS),
                selection_mode="multi",
                key=keys.key("reasoning_effort"),
                help="Pick one, or several to give each its own column. None picked: not sent.",
            )
        st.text_input(
            "Temperature",
            key=keys.key("temperature"),
            placeholder="not set",
            help="From 0 to 2; several with commas (0, 1) give each its own column. Empty: not sent.",
        )
        _show(problem)


def restore_column_setups(keys_of: Callable[[str], SamplingKeys], columns: Sequence[ColumnSetup]) -> None:
    """Put a stored round's per-column efforts and temperatures back into their boxes."""
    state = st.session_state
    for model in dict.fromkeys(column.model for column in columns):
        own = [column.own for column in columns if column.model == model]
        efforts = [s.reasoning_effort for s in own if s.reasoning_effort]
        temperatures = [format_value("temperature", s.temperature) for s in own if s.temperature is not None]
        keys = keys_of(model)
        state[keys.key("reasoning_effort")] = list(dict.fromkeys(efforts))
        state[keys.key("temperature")] = ", ".join(dict.fromkeys(temperatures))
