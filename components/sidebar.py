"""The sidebars: key, model(s), limits, streaming and instructions, validated."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core.compare import MAX_MODELS, validate_models
from core.conversation import ChatParams, InstructionsRole
from core.request import InputError, parse_max_completion_tokens, validate_participant_name
from core.settings import Settings, is_reasoning_model, model_choices

T = TypeVar("T")
R = TypeVar("R")

CUSTOM_MODEL = "Custom model id…"
ROLE_AUTO = "auto (developer for o-series, else system)"
USER_KEY = "session.user_key"  # survives page switches, unlike a widget's own state
NO_KEY_PROBLEM = (
    "No API key: enter your GPTProto key in the sidebar, or set GPTPROTO_API_KEY "
    "in .streamlit/secrets.toml or the environment."
)


@dataclass
class SidebarChoice:
    """What the sidebar resolved: the parameters, and any problems to fix before sending."""

    params: ChatParams
    api_key: str | None
    problems: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    blind: bool = False
    send_links: bool = False
    library_slot: DeltaGenerator | None = None  # under "New chat", filled at the end of the run

    @property
    def ready(self) -> bool:
        """True when a message can be sent as things stand."""
        return not self.problems and bool(self.api_key)


def render_sidebar(settings: Settings, *, on_new_chat: Callable[[], None] | None = None) -> SidebarChoice:
    """The chat page's sidebar."""
    with st.sidebar:
        st.button("New chat", key="chat.new", icon=":material/add:", on_click=on_new_chat, width="stretch")
        library_slot = st.container()
        api_key = _key_section(settings)
        st.subheader("Model")
        model = _model_picker(settings)
        problems: list[str] = []
        options = _request_options("chat", problems)
        raw_name = st.text_input(
            "Your name (optional)",
            key="chat.user_name",
            help="Sent as messages[].name to tell participants apart.",
        )
        name = _parse(validate_participant_name, raw_name, problems)
        send_links = st.toggle(
            "Send image links as images",
            key="chat.link_images",
            help="https links to .png/.jpg/.webp/.gif in your message are also sent as image parts.",
        )
    if not model:
        problems.append("Enter a custom model id, or pick a model from the list.")
    params = options.params_for(model, name)
    choice = SidebarChoice(params, api_key, problems, models=[model], send_links=send_links)
    choice.library_slot = library_slot
    return _finish(choice)


def render_compare_sidebar(settings: Settings, *, on_new: Callable[[], None] | None = None) -> SidebarChoice:
    """The compare page's sidebar: 2 to 4 models and one set of options for all."""
    with st.sidebar:
        st.button(
            "New comparison", key="compare.new", icon=":material/add:", on_click=on_new, width="stretch"
        )
        api_key = _key_section(settings)
        st.subheader("Models")
        choices = model_choices(settings)
        picked = st.multiselect(
            "Models to compare (2 to 4)",
            choices,
            default=choices[:2],
            key="compare.models",
            max_selections=MAX_MODELS,
            accept_new_options=True,
            help="Type a custom model id and press Enter to add it.",
        )
        problems: list[str] = []
        models = _parse(validate_models, picked, problems) or []
        blind = st.toggle("Blind mode (vote before names are shown)", key="compare.blind")
        options = _request_options("compare", problems)
    params = options.params_for(models[0] if models else "")
    return _finish(SidebarChoice(params, api_key, problems, models=models, blind=blind))


def _finish(choice: SidebarChoice) -> SidebarChoice:
    if not choice.api_key:
        choice.problems.append(NO_KEY_PROBLEM)
    return choice


@dataclass(frozen=True)
class _RequestOptions:
    max_completion_tokens: int | None
    stream: bool
    instructions: str
    role_choice: str

    def params_for(self, model: str, user_name: str | None = None) -> ChatParams:
        return ChatParams(
            model=model,
            max_completion_tokens=self.max_completion_tokens,
            stream=self.stream,
            instructions=self.instructions,
            instructions_role=_role(self.role_choice, model),
            user_name=user_name,
        )


def _request_options(prefix: str, problems: list[str]) -> _RequestOptions:
    raw_limit = st.text_input(
        "Max completion tokens",
        key=f"{prefix}.max_tokens",
        placeholder="off",
        help="Upper bound on visible output AND reasoning tokens. Empty means no limit.",
    )
    st.session_state.setdefault(f"{prefix}.stream", True)
    stream = st.toggle("Stream the answer", key=f"{prefix}.stream")
    st.subheader("Instructions")
    instructions = st.text_area(
        "Instructions prompt",
        key=f"{prefix}.instructions",
        placeholder="You are a helpful assistant.",
        height=100,
    )
    role = st.selectbox(
        "Instructions role", [ROLE_AUTO, "developer", "system"], key=f"{prefix}.instructions_role"
    )
    limit = _parse(parse_max_completion_tokens, raw_limit, problems)
    return _RequestOptions(limit, stream, instructions, str(role))


def _parse(parse: Callable[[R], T | None], raw: R, problems: list[str]) -> T | None:
    # The message goes right under the field it is about.
    try:
        return parse(raw)
    except (InputError, ValueError) as exc:
        problems.append(str(exc))
        st.error(str(exc), icon=":material/error:")
        return None


def _remember_key() -> None:
    st.session_state[USER_KEY] = st.session_state.get("sidebar.user_key", "")


def _key_section(settings: Settings) -> str | None:
    # The widget's value is mirrored into USER_KEY so it outlives a page switch.
    st.session_state.setdefault("sidebar.user_key", st.session_state.get(USER_KEY, ""))
    if settings.has_server_key:
        with st.expander("API key: the server's", icon=":material/key:"):
            st.text_input(
                "Use my own key instead",
                type="password",
                key="sidebar.user_key",
                on_change=_remember_key,
                help="Kept in this browser session only; never stored or shown.",
            )
    else:
        st.text_input(
            "Your GPTProto API key",
            type="password",
            key="sidebar.user_key",
            on_change=_remember_key,
            placeholder="sk-...",
            help="This server has no key configured. Yours is kept in this session only.",
        )
    own = str(st.session_state.get("sidebar.user_key", "")).strip()
    if not own and not settings.has_server_key:
        st.info("Enter your GPTProto API key to start chatting.", icon=":material/key:")
    return own or settings.api_key


def _model_picker(settings: Settings) -> str:
    choices = [*model_choices(settings), CUSTOM_MODEL]
    if st.session_state.get("chat.model") not in choices:
        st.session_state["chat.model"] = settings.default_model
    picked = st.selectbox("Model", choices, key="chat.model")
    if picked != CUSTOM_MODEL:
        return str(picked)
    custom = st.text_input("Custom model id", key="chat.custom_model", placeholder="e.g. o3-mini")
    return custom.strip()


def restore_chat_params(params: ChatParams, settings: Settings) -> None:
    """Put a stored conversation's parameters back into the chat sidebar (before it is drawn)."""
    known = model_choices(settings)
    state = st.session_state
    state["chat.model"] = params.model if params.model in known else CUSTOM_MODEL
    state["chat.custom_model"] = "" if params.model in known else params.model
    state["chat.max_tokens"] = str(params.max_completion_tokens or "")
    state["chat.stream"] = params.stream
    state["chat.instructions"] = params.instructions
    auto = _role(ROLE_AUTO, params.model)
    state["chat.instructions_role"] = (
        ROLE_AUTO if params.instructions_role == auto else params.instructions_role
    )
    state["chat.user_name"] = params.user_name or ""


def _role(choice: str, model: str) -> InstructionsRole:
    if choice == "developer":
        return "developer"
    if choice == "system":
        return "system"
    return "developer" if is_reasoning_model(model) else "system"
