"""The chat page's session state, under namespaced keys, initialised in one place."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import streamlit as st

from core.branches import ConversationTree
from core.conversation import Message

MESSAGES = "chat.messages"  # the path on show, root to leaf
TREE = "chat.tree"  # every message of the open conversation, all branches
CONVERSATION = "chat.conversation_id"  # its id in storage, once it has one
PENDING = "chat.pending_action"
COPYING = "chat.copying"  # the answer whose markdown source is shown for copying
WINDOW_KEY = "chat.history_window"  # how many recent messages are drawn
DIALOG = "chat.dialog"  # ("edit" | "delete", message id) while a dialog is open

ActionKind = Literal["retry", "continue", "edit"]


@dataclass(frozen=True)
class PendingAction:
    """What a pressed button asked for, done on the coming rerun."""

    kind: ActionKind
    message_id: str | None = None
    text: str = ""


def init_chat_state() -> None:
    """Create the chat keys once per session."""
    st.session_state.setdefault(MESSAGES, [])
    st.session_state.setdefault(TREE, ConversationTree())
    st.session_state.setdefault(CONVERSATION, None)
    st.session_state.setdefault(PENDING, None)
    st.session_state.setdefault(COPYING, None)
    st.session_state.setdefault(DIALOG, None)


def chat_messages() -> list[Message]:
    """The conversation shown on the page (mutable: the flow functions edit it in place)."""
    messages: list[Message] = st.session_state[MESSAGES]
    return messages


def chat_tree() -> ConversationTree:
    tree: ConversationTree = st.session_state[TREE]
    return tree


def request_action(kind: ActionKind, message_id: str | None = None, text: str = "") -> None:
    """Button callback: do this on the coming rerun."""
    st.session_state[PENDING] = PendingAction(kind, message_id, text)


def take_action() -> PendingAction | None:
    """The pending action, consumed."""
    action: PendingAction | None = st.session_state.get(PENDING)
    st.session_state[PENDING] = None
    return action


def toggle_copy(message_id: str) -> None:
    """Button callback: show or hide an answer's markdown source with its copy button."""
    st.session_state[COPYING] = None if st.session_state.get(COPYING) == message_id else message_id


def open_dialog(kind: str, message_id: str) -> None:
    st.session_state[DIALOG] = (kind, message_id)


def close_dialog() -> None:
    st.session_state[DIALOG] = None


def new_chat() -> None:
    """Button callback: start over (the previous conversation stays in the library)."""
    st.session_state[MESSAGES] = []
    st.session_state[TREE] = ConversationTree()
    st.session_state[CONVERSATION] = None
    st.session_state[PENDING] = None
    st.session_state[COPYING] = None
    st.session_state[DIALOG] = None
    st.session_state.pop(WINDOW_KEY, None)
    st.query_params.pop("c", None)
