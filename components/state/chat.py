"""The chat page's session state and widget keys, under `chat.`, initialised in one place.

The conversation on show is one tree (every branch and alternative); the messages drawn are
always its path from the root to the leaf on show, derived, never kept beside it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import streamlit as st

from components.state.common import OptionKeys, SamplingKeys, unset_parameter
from core.branches import ConversationTree
from core.conversation import Message

TREE = "chat.tree"  # every message of the open conversation, all branches
CONVERSATION = "chat.conversation_id"  # its id in storage, once it has one
PENDING = "chat.pending_action"
COPYING = "chat.copying"  # the answer whose markdown source is shown for copying
WINDOW = "chat.history_window"  # how many recent messages are drawn
DIALOG = "chat.dialog"  # ("edit" | "delete", message id) while a dialog is open
QUERY = "c"  # the URL parameter naming the open conversation (?c=<id>)

# Widgets.
INPUT = "chat.input"
STOP = "chat.stop"
NEW = "chat.new"
SHOW_EARLIER = "chat.show_earlier"
MODEL = "chat.model"
CUSTOM_MODEL = "chat.custom_model"
USER_NAME = "chat.user_name"
LINK_IMAGES = "chat.link_images"
OPTIONS = OptionKeys("chat.max_tokens", "chat.stream", "chat.instructions", "chat.instructions_role")
SAMPLING = SamplingKeys("chat.param")  # reasoning effort and the "Parameters" expander
LIBRARY_SEARCH = "chat.library_search"
EDIT_SEND = "chat.edit_send"
EDIT_CANCEL = "chat.edit_cancel"
DELETE_CONFIRM = "chat.delete_confirm"
DELETE_CANCEL = "chat.delete_cancel"


def action_key(name: str, message_id: str) -> str:
    """The button `name` (e.g. 'retry', 'edit') under one message."""
    return f"chat.action.{name.lower()}.{message_id}"


def edit_text_key(message_id: str) -> str:
    """The edit dialog's text box for one prompt."""
    return f"chat.edit_text.{message_id}"


def library_item_key(conversation_id: str) -> str:
    """A conversation's button in the sidebar library."""
    return f"chat.library_item.{conversation_id}"


ActionKind = Literal["retry", "continue", "edit"]


@dataclass(frozen=True)
class PendingAction:
    """What a pressed button asked for, done on the coming rerun."""

    kind: ActionKind
    message_id: str | None = None
    text: str = ""


def init_chat_state() -> None:
    """Create the chat keys once per session."""
    st.session_state.setdefault(TREE, ConversationTree())
    st.session_state.setdefault(CONVERSATION, None)
    st.session_state.setdefault(PENDING, None)
    st.session_state.setdefault(COPYING, None)
    st.session_state.setdefault(DIALOG, None)


def chat_tree() -> ConversationTree:
    """Every message of the open conversation."""
    tree: ConversationTree = st.session_state[TREE]
    return tree


def chat_messages() -> list[Message]:
    """The conversation shown on the page: the tree's path on show (a fresh list each call)."""
    return chat_tree().path()


def conversation_id() -> str | None:
    """The open conversation's id in storage, once it has one."""
    current: str | None = st.session_state.get(CONVERSATION)
    return current


def set_conversation_id(stored_id: str | None) -> None:
    """The open conversation now has this id in storage."""
    st.session_state[CONVERSATION] = stored_id


def show_tree(tree: ConversationTree, stored_id: str | None) -> None:
    """Make this conversation the one on the page, drawn from its recent messages."""
    st.session_state[TREE] = tree
    st.session_state[CONVERSATION] = stored_id
    st.session_state.pop(WINDOW, None)


def request_action(kind: ActionKind, message_id: str | None = None, text: str = "") -> None:
    """Button callback: do this on the coming rerun."""
    st.session_state[PENDING] = PendingAction(kind, message_id, text)


def resend_without(name: str) -> None:
    """Button callback: unset the parameter the gateway refused, then send the turn again."""
    unset_parameter(SAMPLING, name)
    request_action("retry")


def take_action() -> PendingAction | None:
    """The pending action, consumed."""
    action: PendingAction | None = st.session_state.get(PENDING)
    st.session_state[PENDING] = None
    return action


def toggle_copy(message_id: str) -> None:
    """Button callback: show or hide an answer's markdown source with its copy button."""
    st.session_state[COPYING] = None if st.session_state.get(COPYING) == message_id else message_id


def copying(message_id: str) -> bool:
    """True while this answer's markdown source is shown."""
    return bool(st.session_state.get(COPYING) == message_id)


def history_window(default: int) -> int:
    """How many recent messages to draw."""
    return int(st.session_state.get(WINDOW, default))


def widen_history_window(default: int, step: int) -> None:
    """Button callback: draw `step` more of the earlier messages."""
    st.session_state[WINDOW] = history_window(default) + step


def open_dialog(kind: str, message_id: str) -> None:
    """Button callback: open the edit or delete dialog for a message."""
    st.session_state[DIALOG] = (kind, message_id)


def close_dialog() -> None:
    """Dialog callback: no dialog on the next run."""
    st.session_state[DIALOG] = None


def open_dialog_target() -> tuple[str, Message] | None:
    """The dialog to show this run and the message it is about."""
    dialog = st.session_state.get(DIALOG)
    if dialog is None:
        return None
    kind, message_id = dialog
    target = chat_tree().messages.get(message_id)
    return None if target is None else (kind, target)


def new_chat() -> None:
    """Button callback: start over (the previous conversation stays in the library)."""
    show_tree(ConversationTree(), None)
    st.session_state[PENDING] = None
    st.session_state[COPYING] = None
    st.session_state[DIALOG] = None
    st.query_params.pop(QUERY, None)
