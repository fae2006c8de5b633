"""The sidebars: key, model(s), limits, streaming and instructions, validated."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, TypeVar

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components.model_picker import CUSTOM_MODEL, draw_chat_picker, draw_compare_picker
from components.parameters import (
    SHARED_NAMES,
    draw_column_setup,
    draw_effort,
    draw_parameters,
    problem_field,
    read_column_setups,
    read_sampling,
    restore_column_setups,
    restore_sampling,
)
from components.state import chat as chat_state
from components.state import compare as compare_state
from components.state.common import USER_KEY, USER_KEY_INPUT, OptionKeys, SamplingKeys, remember_user_key
from core.compare import MAX_MODELS, ColumnSetup, validate_columns
from core.conversation import ChatParams
from core.gateway.errors import NO_KEY_PROBLEM
from core.gateway.request import (
    InputError,
    parse_max_completion_tokens,
    validate_model_id,
    validate_participant_name,
)
from core.input_length import length_counter, too_long_message
from core.models import RoleChoice, instructions_role
from core.policies import ANY_MODEL, models_problem, offered_models
from core.safe_text import literal
from core.sampling import Sampling
from core.sampling import names as sampling_names
from core.settings import Settings, model_choices

T = TypeVar("T")
R = TypeVar("R")

_ROLE_LABELS: dict[RoleChoice, str] = {
    "auto": "auto (developer for o-series, else system)",
    "developer": "developer",
    "system": "system",
}


@dataclass
class _Choice:
    params: ChatParams
    api_key: str | None
    problems: list[str] = field(default_factory=list)  # every problem, in the sidebar's order
    field_problems: dict[str, str] = field(default_factory=dict)  # shown under their field

    @property
    def ready(self) -> bool:
        """True when a message can be sent as things stand."""
        return not self.problems and bool(self.api_key)


@dataclass
class ChatChoice(_Choice):
    """What the chat sidebar holds: the parameters, and any problems to fix before sending."""

    send_links: bool = False
    allowed: Sequence[str] = ANY_MODEL  # the patterns of the models the user may use (the picker's)


@dataclass
class CompareChoice(_Choice):
    """What the compare sidebar resolved: the models, blind mode and the shared options."""

    models: list[str] = field(default_factory=list)  # each column's model, in column order
    columns: list[ColumnSetup] = field(default_factory=list)  # each column's model and own parameters
    blind: bool = False
    role: RoleChoice = "auto"  # decided per model when automatic
    library_slot: DeltaGenerator | None = None  # recent comparisons, filled at the end of the run


class _Problems:
    """What is wrong with the sidebar's values, each under the field it is about."""

    def __init__(self) -> None:
        self.found: list[str] = []
        self.by_field: dict[str, str] = {}

    def parse(self, field_name: str, parse: Callable[[R], T | None], raw: R) -> T | None:
        try:
            return parse(raw)
        except (InputError, ValueError) as exc:
            self.add(str(exc), field_name)
            return None

    def add(self, problem: str, field_name: str | None = None) -> None:
        self.found.append(problem)
        if field_name is not None:
            self.by_field[field_name] = problem


def chat_choice(settings: Settings, allowed: Sequence[str] = ANY_MODEL) -> ChatChoice:
    """The chat sidebar's values as they stand when the run begins (the widgets' state), checked:
    known before anything is drawn, so a prompt's request can leave first. `allowed`: the
    patterns of the models the user may use (the picker offers only those)."""
    state = st.session_state
    problems = _Problems()
    api_key = _read_key(settings)
    model = _read_model(settings, problems, allowed)
    options = _read_options(chat_state.OPTIONS, problems, settings.max_instructions_chars)
    name = problems.parse("name", validate_participant_name, str(state.get(chat_state.USER_NAME) or ""))
    if not model:
        problems.add("Enter a custom model id, or pick a model from the list.")
    sampling = _read_sampling(chat_state.SAMPLING, model, problems)
    params = replace(options.params_for(model, name), sampling=sampling)
    send_links = bool(state.get(chat_state.LINK_IMAGES, False))
    chosen = ChatChoice(
        params, api_key, problems.found, problems.by_field, send_links=send_links, allowed=allowed
    )
    return _finish(chosen)


def render_chat_sidebar(
    settings: Settings, choice: ChatChoice, *, on_new_chat: Callable[[], None]
) -> DeltaGenerator:
    """The chat page's sidebar, drawn from `choice`; returns the slot under "New chat" for the
    library (filled at the end of the run)."""
    with st.sidebar:
        st.button(
            "New chat", key=chat_state.NEW, icon=":material/add:", on_click=on_new_chat, width="stretch"
        )
        library_slot = st.container()
        _draw_key(settings, choice)
        st.subheader("Model")
        draw_chat_picker(settings, choice.api_key, choice.params.model, choice.allowed)
        _show_problem(choice, "model")
        draw_effort(chat_state.SAMPLING, choice.params.model)
        draw_parameters(chat_state.SAMPLING, _sampling_problems(choice), choice.params.sampling)
        _draw_options(chat_state.OPTIONS, choice, settings.max_instructions_chars)
        st.text_input(
            "Your name (optional)",
            key=chat_state.USER_NAME,
            help="Sent as messages[].name to tell participants apart.",
        )
        _show_problem(choice, "name")
        st.toggle(
            "Send image links as images",
            key=chat_state.LINK_IMAGES,
            help="https links to .png/.jpg/.webp/.gif in your message are also sent as image parts.",
        )
    return library_slot


def compare_choice(settings: Settings, allowed: Sequence[str] = ANY_MODEL) -> CompareChoice:
    """The compare sidebar's values as they stand when the run begins, checked (`allowed`: the
    patterns of the models the user may use)."""
    state = st.session_state
    problems = _Problems()
    api_key = _read_key(settings)
    picked = state.get(compare_state.MODELS)
    picked = list(_default_models(settings, allowed) if picked is None else picked)
    models = problems.parse("models", partial(_checked_models, allowed=allowed), picked) or []
    setups: list[ColumnSetup] = []
    for model in models:
        own, problem = read_column_setups(compare_state.column_keys(model), model)
        setups += own
        if problem:
            problems.add(f"{model}: {problem}", f"column.{model}")
    columns = problems.parse("models", validate_columns, setups) if models else None
    blind = bool(state.get(compare_state.BLIND, False))
    options = _read_options(compare_state.OPTIONS, problems, settings.max_instructions_chars)
    first = models[0] if models else ""
    shared = _read_sampling(compare_state.SAMPLING, first, problems, only=SHARED_NAMES)
    params = replace(options.params_for(first), sampling=shared)
    choice = CompareChoice(
        params,
        api_key,
        problems.found,
        problems.by_field,
        models=[column.model for column in columns or []],
        columns=columns or [],
        blind=blind,
        role=options.role,
    )
    return _finish(choice)


def render_compare_sidebar(
    settings: Settings, *, on_new: Callable[[], None], allowed: Sequence[str] = ANY_MODEL
) -> CompareChoice:
    """The compare page's sidebar: 2 to 4 of the models the user may use (`allowed`'s patterns)
    and one set of options for all."""
    choice = compare_choice(settings, allowed)
    with st.sidebar:
        st.button(
            "New comparison", key=compare_state.NEW, icon=":material/add:", on_click=on_new, width="stretch"
        )
        choice.library_slot = st.container()
        _draw_key(settings, choice)
        st.subheader("Models")
        draw_compare_picker(settings, choice.api_key, _default_models(settings, allowed), allowed)
        for model in _picked_models(settings):
            problem = choice.field_problems.get(f"column.{model}")
            draw_column_setup(compare_state.column_keys(model), model, problem)
        _show_problem(choice, "models")
        st.toggle("Blind mode (vote before names are shown)", key=compare_state.BLIND)
        draw_parameters(
            compare_state.SAMPLING, _sampling_problems(choice), choice.params.sampling, only=SHARED_NAMES
        )
        _draw_options(compare_state.OPTIONS, choice, settings.max_instructions_chars)
    return choice


_ChoiceT = TypeVar("_ChoiceT", bound=_Choice)


def _finish(choice: _ChoiceT) -> _ChoiceT:
    if not choice.api_key:
        choice.problems.append(NO_KEY_PROBLEM)
    return choice


def _read_sampling(keys: SamplingKeys, model: str, problems: _Problems, **only: Any) -> Sampling:
    sampling, bad = read_sampling(keys, model, **only)
    for name, problem in bad.items():
        problems.add(problem, problem_field(name))
    return sampling


def _sampling_problems(choice: _Choice) -> dict[str, str]:
    found = ((name, choice.field_problems.get(problem_field(name))) for name in sampling_names())
    return {name: problem for name, problem in found if problem}


def _show_problem(choice: _Choice, field_name: str) -> None:
    # The message goes right under the field it is about.
    problem = choice.field_problems.get(field_name)
    if problem:
        st.error(literal(problem), icon=":material/error:")


@dataclass(frozen=True)
class _RequestOptions:
    max_completion_tokens: int | None
    stream: bool
    instructions: str
    role: RoleChoice

    def params_for(self, model: str, user_name: str | None = None) -> ChatParams:
        return ChatParams(
            model=model,
            max_completion_tokens=self.max_completion_tokens,
            stream=self.stream,
            instructions=self.instructions,
            instructions_role=instructions_role(self.role, model),
            user_name=user_name,
        )


def _read_options(keys: OptionKeys, problems: _Problems, max_instructions: int) -> _RequestOptions:
    state = st.session_state
    state.setdefault(keys.stream, True)
    instructions = str(state.get(keys.instructions) or "")
    problems.parse("instructions", partial(_fits, "instructions prompt", max_instructions), instructions)
    role = state.get(keys.instructions_role)
    limit = problems.parse("max_tokens", parse_max_completion_tokens, str(state.get(keys.max_tokens) or ""))
    return _RequestOptions(
        limit, bool(state[keys.stream]), instructions, role if role in _ROLE_LABELS else "auto"
    )


def _draw_options(keys: OptionKeys, choice: _Choice, max_instructions: int) -> None:
    st.text_input(
        "Max completion tokens",
        key=keys.max_tokens,
        placeholder="off",
        help="Upper bound on visible output AND reasoning tokens. Empty means no limit.",
    )
    _show_problem(choice, "max_tokens")
    st.toggle("Stream the answer", key=keys.stream)
    st.subheader("Instructions")
    instructions = st.text_area(
        "Instructions prompt",
        key=keys.instructions,
        placeholder="You are a helpful assistant.",
        height=100,
    )
    counter = length_counter(len(instructions), max_instructions)
    if counter:
        st.caption(literal(counter))
    _show_problem(choice, "instructions")
    roles: list[RoleChoice] = list(_ROLE_LABELS)
    st.selectbox("Instructions role", roles, format_func=_ROLE_LABELS.__getitem__, key=keys.instructions_role)


def _fits(what: str, limit: int, text: str) -> str:
    problem = too_long_message(what, len(text), limit)
    if problem:
        raise InputError(problem)
    return text


def _read_key(settings: Settings) -> str | None:
    # The widget's value is mirrored into USER_KEY so it outlives a page switch.
    st.session_state.setdefault(USER_KEY_INPUT, st.session_state.get(USER_KEY, ""))
    own = str(st.session_state.get(USER_KEY_INPUT, "")).strip()
    return own or settings.server_key


def _draw_key(settings: Settings, choice: _Choice) -> None:
    if settings.has_server_key:
        with st.expander("API key: the server's", icon=":material/key:"):
            st.text_input(
                "Use my own key instead",
                type="password",
                key=USER_KEY_INPUT,
                on_change=remember_user_key,
                help="Kept in this browser session only; never stored or shown.",
            )
        return
    why = (
        "This server asks each person to use their own key" if settings.api_key else "This server has no key"
    )
    st.text_input(
        "Your GPTProto API key",
        type="password",
        key=USER_KEY_INPUT,
        on_change=remember_user_key,
        placeholder="sk-...",
        help=f"{why}. Yours is kept in this browser session only: never stored, shown or logged.",
    )
    if not choice.api_key:
        st.info("Enter your GPTProto API key to start chatting.", icon=":material/key:")


def _read_model(settings: Settings, problems: _Problems, allowed: Sequence[str]) -> str:
    # Any id the picker held is kept (the gateway's list may have offered it; the picker adds the
    # one in use to its options when the list no longer has it); one the user may not use is
    # refused below, under the picker.
    state = st.session_state
    if not state.get(chat_state.MODEL):
        state[chat_state.MODEL] = _first_model(settings, allowed)
    picked = str(state[chat_state.MODEL])
    raw = str(state.get(chat_state.CUSTOM_MODEL) or "").strip() if picked == CUSTOM_MODEL else picked
    model = (problems.parse("model", validate_model_id, raw) or "") if raw else ""
    problem = models_problem([model], allowed) if model else None
    if problem:
        problems.add(problem, "model")
    return model


def _first_model(settings: Settings, allowed: Sequence[str]) -> str:
    """The default model, or the first curated one the user may use when it is not one of them."""
    curated = offered_models(model_choices(settings), allowed)
    return settings.default_model if settings.default_model in curated else next(iter(curated), CUSTOM_MODEL)


def _default_models(settings: Settings, allowed: Sequence[str]) -> list[str]:
    return offered_models(model_choices(settings), allowed)[:2]


def _checked_models(picked: list[str], allowed: Sequence[str]) -> list[str]:
    checked = [validate_model_id(model) for model in picked]  # the columns' count is checked later
    problem = models_problem(checked, allowed)
    if problem:
        raise InputError(problem)
    return checked


def _picked_models(settings: Settings) -> list[str]:
    picked = st.session_state.get(compare_state.MODELS)
    return [model for model in (picked or []) if model.strip()]


def restore_compare_params(params: ChatParams, columns: list[ColumnSetup], blind: bool) -> None:
    """Put a stored comparison's columns (models and their own parameters), blind mode and
    options back into the compare sidebar (before it is drawn)."""
    state = st.session_state
    keys = compare_state.OPTIONS
    if columns:
        state[compare_state.MODELS] = list(dict.fromkeys(column.model for column in columns))
        restore_column_setups(compare_state.column_keys, columns)
    restore_sampling(compare_state.SAMPLING, params.sampling)
    state[compare_state.BLIND] = blind
    state[keys.max_tokens] = str(params.max_completion_tokens or "")
    state[keys.stream] = params.stream
    state[keys.instructions] = params.instructions
    automatic = instructions_role("auto", params.model) == params.instructions_role
    state[keys.instructions_role] = "auto" if automatic else params.instructions_role


def put_chat_model(model: str, settings: Settings) -> None:
    """Pick `model` in the chat sidebar (before it is drawn): the picker offers any id picked,
    whether the configured list or the gateway's has it or not (and the sidebar refuses one the
    user may not use)."""
    st.session_state[chat_state.MODEL] = model or settings.default_model
    st.session_state[chat_state.CUSTOM_MODEL] = ""


def put_compare_model(model: str, settings: Settings, allowed: Sequence[str] = ANY_MODEL) -> None:
    """Make `model` the first of the models compared (before the sidebar is drawn), keeping the
    others picked (or the first of those the user may use), up to the most a comparison holds."""
    picked = st.session_state.get(compare_state.MODELS)
    others = [m for m in (_default_models(settings, allowed) if picked is None else picked) if m != model]
    st.session_state[compare_state.MODELS] = [model, *others][:MAX_MODELS]


def put_chat_sampling(sampling: Sampling) -> None:
    """Put parameters (a preset's) into the chat sidebar's boxes (before they are drawn)."""
    restore_sampling(chat_state.SAMPLING, sampling)


def put_compare_sampling(sampling: Sampling) -> None:
    """Put parameters (a preset's) into the compare sidebar (before it is drawn): the reasoning
    effort into each picked reasoning model's own box, the temperature into every picked model's,
    the rest into the shared Parameters."""
    restore_sampling(compare_state.SAMPLING, replace(sampling, reasoning_effort=None, temperature=None))
    own = Sampling(reasoning_effort=sampling.reasoning_effort, temperature=sampling.temperature)
    picked = st.session_state.get(compare_state.MODELS) or []
    restore_column_setups(compare_state.column_keys, [ColumnSetup(model, own) for model in picked])


def restore_chat_params(params: ChatParams, settings: Settings) -> None:
    """Put a stored conversation's parameters back into the chat sidebar (before it is drawn); a
    model the user may no longer use stays picked, for the sidebar to say so."""
    state = st.session_state
    keys = chat_state.OPTIONS
    put_chat_model(params.model, settings)
    state[keys.max_tokens] = str(params.max_completion_tokens or "")
    state[keys.stream] = params.stream
    state[keys.instructions] = params.instructions
    automatic = instructions_role("auto", params.model) == params.instructions_role
    state[keys.instructions_role] = "auto" if automatic else params.instructions_role
    state[chat_state.USER_NAME] = params.user_name or ""
    restore_sampling(chat_state.SAMPLING, params.sampling)
