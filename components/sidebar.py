"""The sidebars: key, model(s), limits, streaming and instructions, validated."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from components.state import chat as chat_state
from components.state import compare as compare_state
from components.state.shared import USER_KEY, USER_KEY_INPUT, OptionKeys, remember_user_key
from core.compare import MAX_MODELS, validate_models
from core.conversation import ChatParams
from core.errors import NO_KEY_PROBLEM
from core.limits import length_counter, too_long_message
from core.models import RoleChoice, instructions_role
from core.request import InputError, parse_max_completion_tokens, validate_model_id, validate_participant_name
from core.settings import Settings, model_choices

T = TypeVar("T")
R = TypeVar("R")

CUSTOM_MODEL = "Custom model id…"
_ROLE_LABELS: dict[RoleChoice, str] = {
    "auto": "auto (developer for o-series, else system)",
    "developer": "developer",
    "system": "system",
}


@dataclass
class _Choice:
    params: ChatParams
    api_key: str | None
    problems: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        """True when a message can be sent as things stand."""
        return not self.problems and bool(self.api_key)


@dataclass
class ChatChoice(_Choice):
    """What the chat sidebar resolved: the parameters, and any problems to fix before sending."""

    send_links: bool = False
    library_slot: DeltaGenerator | None = None  # under "New chat", filled at the end of the run


@dataclass
class CompareChoice(_Choice):
    """What the compare sidebar resolved: the models, blind mode and the shared options."""

    models: list[str] = field(default_factory=list)
    blind: bool = False
    role: RoleChoice = "auto"  # decided per model when automatic
    library_slot: DeltaGenerator | None = None  # recent comparisons, filled at the end of the run


def render_chat_sidebar(settings: Settings, *, on_new_chat: Callable[[], None]) -> ChatChoice:
    """The chat page's sidebar."""
    with st.sidebar:
        st.button(
            "New chat", key=chat_state.NEW, icon=":material/add:", on_click=on_new_chat, width="stretch"
        )
        library_slot = st.container()
        api_key = _key_section(settings)
        st.subheader("Model")
        problems: list[str] = []
        picked = _model_picker(settings)
        model = (_parse(validate_model_id, picked, problems) or "") if picked else ""
        options = _request_options(chat_state.OPTIONS, problems, settings.max_instructions_chars)
        raw_name = st.text_input(
            "Your name (optional)",
            key=chat_state.USER_NAME,
            help="Sent as messages[].name to tell participants apart.",
        )
        name = _parse(validate_participant_name, raw_name, problems)
        send_links = st.toggle(
            "Send image links as images",
            key=chat_state.LINK_IMAGES,
            help="https links to .png/.jpg/.webp/.gif in your message are also sent as image parts.",
        )
    if not model:
        problems.append("Enter a custom model id, or pick a model from the list.")
    params = options.params_for(model, name)
    choice = ChatChoice(params, api_key, problems, send_links=send_links, library_slot=library_slot)
    return _finish(choice)


def render_compare_sidebar(settings: Settings, *, on_new: Callable[[], None]) -> CompareChoice:
    """The compare page's sidebar: 2 to 4 models and one set of options for all."""
    with st.sidebar:
        st.button(
            "New comparison", key=compare_state.NEW, icon=":material/add:", on_click=on_new, width="stretch"
        )
        library_slot = st.container()
        api_key = _key_section(settings)
        st.subheader("Models")
        choices = model_choices(settings)
        picked = st.multiselect(
            "Models to compare (2 to 4)",
            choices,
            default=choices[:2],
            key=compare_state.MODELS,
            max_selections=MAX_MODELS,
            accept_new_options=True,
            help="Type a custom model id and press Enter to add it.",
        )
        problems: list[str] = []
        models = _parse(_checked_models, picked, problems) or []
        blind = st.toggle("Blind mode (vote before names are shown)", key=compare_state.BLIND)
        options = _request_options(compare_state.OPTIONS, problems, settings.max_instructions_chars)
    params = options.params_for(models[0] if models else "")
    choice = CompareChoice(
        params, api_key, problems, models=models, blind=blind, role=options.role, library_slot=library_slot
    )
    return _finish(choice)


_ChoiceT = TypeVar("_ChoiceT", bound=_Choice)


def _finish(choice: _ChoiceT) -> _ChoiceT:
    if not choice.api_key:
        choice.problems.append(NO_KEY_PROBLEM)
    return choice


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


def _request_options(keys: OptionKeys, problems: list[str], max_instructions: int) -> _RequestOptions:
    raw_limit = st.text_input(
        "Max completion tokens",
        key=keys.max_tokens,
        placeholder="off",
        help="Upper bound on visible output AND reasoning tokens. Empty means no limit.",
    )
    st.session_state.setdefault(keys.stream, True)
    stream = st.toggle("Stream the answer", key=keys.stream)
    st.subheader("Instructions")
    instructions = st.text_area(
        "Instructions prompt",
        key=keys.instructions,
        placeholder="You are a helpful assistant.",
        height=100,
    )
    counter = length_counter(len(instructions), max_instructions)
    if counter:
        st.caption(counter)
    _parse(partial(_fits, "instructions prompt", max_instructions), instructions, problems)
    roles: list[RoleChoice] = list(_ROLE_LABELS)
    role = st.selectbox(
        "Instructions role", roles, format_func=_ROLE_LABELS.__getitem__, key=keys.instructions_role
    )
    limit = _parse(parse_max_completion_tokens, raw_limit, problems)
    return _RequestOptions(limit, stream, instructions, role)


def _fits(what: str, limit: int, text: str) -> str:
    problem = too_long_message(what, len(text), limit)
    if problem:
        raise InputError(problem)
    return text


def _parse(parse: Callable[[R], T | None], raw: R, problems: list[str]) -> T | None:
    # The message goes right under the field it is about.
    try:
        return parse(raw)
    except (InputError, ValueError) as exc:
        problems.append(str(exc))
        st.error(str(exc), icon=":material/error:")
        return None


def _key_section(settings: Settings) -> str | None:
    # The widget's value is mirrored into USER_KEY so it outlives a page switch.
    st.session_state.setdefault(USER_KEY_INPUT, st.session_state.get(USER_KEY, ""))
    if settings.has_server_key:
        with st.expander("API key: the server's", icon=":material/key:"):
            st.text_input(
                "Use my own key instead",
                type="password",
                key=USER_KEY_INPUT,
                on_change=remember_user_key,
                help="Kept in this browser session only; never stored or shown.",
            )
    else:
        why = (
            "This server asks each person to use their own key"
            if settings.api_key
            else "This server has no key"
        )
        st.text_input(
            "Your GPTProto API key",
            type="password",
            key=USER_KEY_INPUT,
            on_change=remember_user_key,
            placeholder="sk-...",
            help=f"{why}. Yours is kept in this browser session only: never stored, shown or logged.",
        )
    own = str(st.session_state.get(USER_KEY_INPUT, "")).strip()
    if not own and not settings.has_server_key:
        st.info("Enter your GPTProto API key to start chatting.", icon=":material/key:")
    return own or settings.server_key


def _model_picker(settings: Settings) -> str:
    choices = [*model_choices(settings), CUSTOM_MODEL]
    if st.session_state.get(chat_state.MODEL) not in choices:
        st.session_state[chat_state.MODEL] = settings.default_model
    picked = st.selectbox("Model", choices, key=chat_state.MODEL)
    if picked != CUSTOM_MODEL:
        return str(picked)
    custom = st.text_input("Custom model id", key=chat_state.CUSTOM_MODEL, placeholder="e.g. o3-mini")
    return custom.strip()


def _checked_models(picked: list[str]) -> list[str]:
    return [validate_model_id(model) for model in validate_models(picked)]


def restore_compare_params(params: ChatParams, models: list[str], blind: bool) -> None:
    """Put a stored comparison's models, blind mode and options back into the compare sidebar
    (before it is drawn)."""
    state = st.session_state
    keys = compare_state.OPTIONS
    if models:
        state[compare_state.MODELS] = list(models)
    state[compare_state.BLIND] = blind
    state[keys.max_tokens] = str(params.max_completion_tokens or "")
    state[keys.stream] = params.stream
    state[keys.instructions] = params.instructions
    automatic = instructions_role("auto", params.model) == params.instructions_role
    state[keys.instructions_role] = "auto" if automatic else params.instructions_role


def restore_chat_params(params: ChatParams, settings: Settings) -> None:
    """Put a stored conversation's parameters back into the chat sidebar (before it is drawn)."""
    known = model_choices(settings)
    state = st.session_state
    keys = chat_state.OPTIONS
    state[chat_state.MODEL] = params.model if params.model in known else CUSTOM_MODEL
    state[chat_state.CUSTOM_MODEL] = "" if params.model in known else params.model
    state[keys.max_tokens] = str(params.max_completion_tokens or "")
    state[keys.stream] = params.stream
    state[keys.instructions] = params.instructions
    automatic = instructions_role("auto", params.model) == params.instructions_role
    state[keys.instructions_role] = "auto" if automatic else params.instructions_role
    state[chat_state.USER_NAME] = params.user_name or ""
