"""The chat page's session state, under namespaced keys, initialised in one place."""

from __future__ import annotations

from typing import Literal

import streamlit as st

from core.conversation import Message

MESSAGES = "chat.messages"
PENDING = "chat.pending_action"

Action = Literal["retry", "continue"]


def init_chat_state() -> None:
    """Create the chat keys once per session."""
    st.session_state.setdefault(MESSAGES, [])
    st.session_state.setdefault(PENDING, None)


def chat_messages() -> list[Message]:
    """The conversation shown on the page (mutable: the flow functions edit it in place)."""
    messages: list[Message] = st.session_state[MESSAGES]
    return messages


def request_action(action: Action) -> None:
    """Button callback: do this on the coming rerun."""
    st.session_state[PENDING] = action


def take_action() -> Action | None:
    """The pending action, consumed."""
    action: Action | None = st.session_state.get(PENDING)
    st.session_state[PENDING] = None
    return action


def new_chat() -> None:
    """Button callback: start over."""
    st.session_state[MESSAGES] = []
    st.session_state[PENDING] = None
