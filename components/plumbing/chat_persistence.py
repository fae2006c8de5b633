"""The chat page's link to storage: which conversation is open (and in the URL), and saving each
message at the moment it happens (the prompt before the request, the answer as it ends,
checkpoints between)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import streamlit as st

from components.plumbing.storage import NotFound, RunStore, safely
from components.state.chat import QUERY, chat_tree, conversation_id, set_conversation_id, show_tree
from core.chat_flow import Turn
from core.conversation import ChatParams, Message, Status
from core.gateway.errors import interrupted_error

if TYPE_CHECKING:
    from components.plumbing.storage import ConversationStore, StoredConversation

CHECKPOINT_EVERY_S = 2.0


def show_conversation(stored: StoredConversation) -> None:
    """Make a stored conversation the one on the page. An answer still marked as streaming was
    cut short by a restart (its last checkpoint is all there is): it shows as interrupted."""
    for message in stored.tree.messages.values():
        if message.is_answer and message.status == Status.STREAMING:
            message.status = Status.INCOMPLETE
            message.error = interrupted_error()
    show_tree(stored.tree, stored.info.id)


def conversation_from_url(store: RunStore) -> StoredConversation | str | None:
    """The conversation named in the URL if it is not the one on show: loaded, or a problem."""
    wanted = st.query_params.get(QUERY)
    chats = store.conversations()
    if not wanted or wanted == conversation_id() or chats is None:
        return None
    try:
        loaded = safely(lambda: chats.load(wanted))
    except NotFound:
        st.query_params.pop(QUERY, None)
        return "That conversation does not exist (or is not yours). Here is a new chat instead."
    return loaded


def wants_stored_conversation() -> bool:
    """True when the URL names a conversation (so storage is needed before the first paint)."""
    return QUERY in st.query_params


def open_in_url(conversation: str) -> None:
    """Name a conversation in the URL; the chat page opens it on this run."""
    st.query_params[QUERY] = conversation


def sync_url() -> None:
    """The URL names the open conversation, so a reload or a bookmark opens it again."""
    current = conversation_id()
    if current and st.query_params.get(QUERY) != current:
        st.query_params[QUERY] = current
    elif not current and QUERY in st.query_params:
        st.query_params.pop(QUERY, None)


class TurnSaver:
    """Keeps the conversation tree and the database up to date for one turn: the prompt as the
    request leaves, checkpoints of the answer while it streams, and its final state. Without a store
    (the database is down) only the page's tree is kept."""

    def __init__(self, store: ConversationStore | None, turn: Turn, params: ChatParams) -> None:
        self.store = store
        self.turn = turn
        self.params = params
        self._last_checkpoint = time.monotonic()

    def _conversation(self) -> str | None:
        current = conversation_id()
        if current is None and self.store is not None:
            store = self.store
            current = safely(lambda: store.create(self.params))
            set_conversation_id(current)
            sync_url()
        return current

    def store_prompt(self) -> None:
        """The prompt (and the empty answer) go into the tree and are stored, in one
        transaction, before any of the answer is drawn; a failed or empty answer being
        regenerated goes in the same one."""
        tree = chat_tree()
        conversation = self._conversation()
        replaced = self.turn.replaces
        discard: list[str] = []
        if replaced is not None and self.turn.discards_replaced and replaced.id in tree.messages:
            del tree.messages[replaced.id]
            discard.append(replaced.id)
        prompt, answer = self.turn.prompt, self.turn.answer
        if prompt.id not in tree.messages:
            tree.add(prompt)
        tree.add(answer)
        params = self.params
        self._write(lambda store, cid: store.begin_turn(cid, prompt, answer, params, discard), conversation)

    def progress(self, answer: Message) -> None:
        """Called while streaming; writes a checkpoint every few seconds."""
        if time.monotonic() - self._last_checkpoint >= CHECKPOINT_EVERY_S:
            self._last_checkpoint = time.monotonic()
            self._save(answer)

    def settled(self, answer: Message) -> None:
        """The answer has its final status: store it."""
        self._save(answer)

    def _save(self, answer: Message) -> None:
        self._write(lambda store, cid: store.save_message(cid, answer, self.params))

    def _write(
        self, action: Callable[[ConversationStore, str], None], conversation: str | None = None
    ) -> None:
        conversation = conversation or conversation_id()
        store = self.store
        if store is not None and conversation is not None:
            safely(lambda: action(store, conversation))


def show_version(store: RunStore, message_id: str) -> None:
    """Button callback: flip to another answer or branch through this message."""
    tree = chat_tree()
    tree.show(message_id)
    _store_leaf(store)


def delete_pair(store: RunStore, prompt_id: str) -> None:
    """Delete a prompt with its answers; what followed stays."""
    tree = chat_tree()
    if prompt_id not in tree.messages:
        return
    removed, moved = tree.remove_pair(prompt_id)
    conversation, opened = conversation_id(), store.conversations()
    if conversation and opened is not None:
        safely(lambda: opened.delete_exchange(conversation, removed, moved, tree.leaf_id))


def _store_leaf(store: RunStore) -> None:
    conversation, opened = conversation_id(), store.conversations()
    if conversation and opened is not None:
        safely(lambda: opened.show_leaf(conversation, chat_tree().leaf_id))
