"""The chat sidebar: key, model, limits, streaming and instructions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import streamlit as st

from core.conversation import ChatParams, InstructionsRole
from core.request import InputError, parse_max_completion_tokens, validate_participant_name
from core.settings import Settings, is_reasoning_model, model_choices

T = TypeVar("T")

CUSTOM_MODEL = "Custom model id…"
ROLE_AUTO = "auto (developer for o-series, else system)"


@dataclass
class SidebarChoice:
    """What the sidebar resolved: the parameters, and any problems to fix before sending."""

    params: ChatParams
    api_key: str | None
    problems: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        """True when a message can be sent as things stand."""
        return not self.problems and bool(self.api_key)


def render_sidebar(settings: Settings, *, on_new_chat: Callable[[], None] | None = None) -> SidebarChoice:
    """Draw the sidebar and return the user's choices, validated."""
    with st.sidebar:
        st.button("New chat", key="chat.new", icon=":material/add:", on_click=on_new_chat, width="stretch")
        api_key = _key_section(settings)
        st.subheader("Model")
        model = _model_picker(settings)
        raw_limit = st.text_input(
            "Max completion tokens",
            key="chat.max_tokens",
            placeholder="off",
            help="Upper bound on visible output AND reasoning tokens. Empty means no limit.",
        )
        stream = st.toggle("Stream the answer", value=True, key="chat.stream")
        st.subheader("Instructions")
        instructions = st.text_area(
            "Instructions prompt",
            key="chat.instructions",
            placeholder="You are a helpful assistant.",
            height=100,
        )
        role_choice = st.selectbox(
            "Instructions role", [ROLE_AUTO, "developer", "system"], key="chat.instructions_role"
        )
        raw_name = st.text_input(
            "Your name (optional)",
            key="chat.user_name",
            help="Sent as messages[].name to tell participants apart.",
        )
    problems: list[str] = []
    limit = _parse(parse_max_completion_tokens, raw_limit, problems)
    name = _parse(validate_participant_name, raw_name, problems)
    if not model:
        problems.append("Enter a custom model id, or pick a model from the list.")
    if not api_key:
        problems.append(
            "No API key: enter your GPTProto key in the sidebar, or set GPTPROTO_API_KEY "
            "in .streamlit/secrets.toml or the environment."
        )
    for problem in problems:
        st.sidebar.error(problem, icon=":material/error:")
    params = ChatParams(
        model=model,
        max_completion_tokens=limit,
        stream=stream,
        instructions=instructions,
        instructions_role=_role(role_choice, model),
        user_name=name,
    )
    return SidebarChoice(params, api_key, problems)


def _parse(parse: Callable[[str], T | None], raw: str, problems: list[str]) -> T | None:
    try:
        return parse(raw)
    except InputError as exc:
        problems.append(str(exc))
        return None


def _key_section(settings: Settings) -> str | None:
    if settings.has_server_key:
        with st.expander("API key: the server's", icon=":material/key:"):
            own = st.text_input(
                "Use my own key instead",
                type="password",
                key="chat.user_key",
                help="Kept in this browser session only; never stored or shown.",
            )
        return own.strip() or settings.api_key
    own = st.text_input(
        "Your GPTProto API key",
        type="password",
        key="chat.user_key",
        placeholder="sk-...",
        help="This server has no key configured. Yours is kept in this session only.",
    )
    return own.strip() or None


def _model_picker(settings: Settings) -> str:
    choices = [*model_choices(settings), CUSTOM_MODEL]
    picked = st.selectbox("Model", choices, index=choices.index(settings.default_model), key="chat.model")
    if picked != CUSTOM_MODEL:
        return str(picked)
    custom = st.text_input("Custom model id", key="chat.custom_model", placeholder="e.g. o3-mini")
    return custom.strip()


def _role(choice: str, model: str) -> InstructionsRole:
    if choice == "developer":
        return "developer"
    if choice == "system":
        return "system"
    return "developer" if is_reasoning_model(model) else "system"
