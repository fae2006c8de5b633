"""The chat page's link to storage: which user, which conversation, and saving each message at
the moment it happens (the prompt before the request, the answer as it ends, checkpoints between)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import streamlit as st

from components.chat_state import CONVERSATION, MESSAGES, TREE, chat_tree
from components.message import reset_history_window
from core.branches import ConversationTree
from core.chat_flow import Turn
from core.conversation import ChatParams, Message, Status
from core.errors import interrupted_error
from core.settings import Settings

if TYPE_CHECKING:  # SQLAlchemy loads after the page's first paint, when storage is first used
    from core.storage import ConversationStore, StoredConversation

LOCAL_USER = "local"
QUERY_KEY = "c"
CHECKPOINT_EVERY_S = 2.0
SAVE_PROBLEM = "chat.save_problem"

T = TypeVar("T")


def current_user() -> str:
    """The user every stored row belongs to: one local user until authentication lands."""
    return LOCAL_USER


@st.cache_resource(show_spinner=False)
def _store(url: str, user_id: str) -> ConversationStore:
    # Once per process, database and user: connect, bring the schema up to date, make the user.
    from core.storage import ConversationStore, make_engine, migrate

    engine = make_engine(url)
    migrate(engine)
    return ConversationStore(engine, user_id)


def open_store(settings: Settings) -> ConversationStore:
    """The current user's store on the configured database (migrated on first use)."""
    from core.storage import database_url

    return _store(database_url(settings.data_dir, settings.database_url), current_user())


def current_store(settings: Settings) -> ConversationStore | None:
    """The store, or None while the database is unreachable (the chat goes on unsaved)."""
    return safely(lambda: open_store(settings))


def safely(action: Callable[[], T]) -> T | None:
    """Run a storage call; on a database failure keep chatting and tell the user once."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return action()
    except SQLAlchemyError as exc:
        st.session_state[SAVE_PROBLEM] = (
            f"Could not save to the database ({type(exc).__name__}). The chat goes on, but this "
            "conversation may not survive a reload until the database is back."
        )
        return None


def show_conversation(stored: StoredConversation) -> None:
    """Make a stored conversation the one on the page. An answer still marked as streaming was
    cut short by a restart (its last checkpoint is all there is): it shows as interrupted."""
    for message in stored.tree.messages.values():
        if message.is_answer and message.status == Status.STREAMING:
            message.status = Status.INCOMPLETE
            message.error = interrupted_error()
    reset_history_window()
    st.session_state[CONVERSATION] = stored.info.id
    st.session_state[TREE] = stored.tree
    st.session_state[MESSAGES] = stored.tree.path()


def conversation_from_url(store: ConversationStore) -> StoredConversation | str | None:
    """The conversation named in the URL if it is not the one on show: loaded, or a problem."""
    from core.storage import NotFound

    wanted = st.query_params.get(QUERY_KEY)
    if not wanted or wanted == st.session_state.get(CONVERSATION):
        return None
    try:
        loaded = safely(lambda: store.load(wanted))
    except NotFound:
        st.query_params.pop(QUERY_KEY, None)
        return "That conversation does not exist (or is not yours). Here is a new chat instead."
    return loaded


def sync_url() -> None:
    """The URL names the open conversation, so a reload or a bookmark opens it again."""
    current = st.session_state.get(CONVERSATION)
    if current and st.query_params.get(QUERY_KEY) != current:
        st.query_params[QUERY_KEY] = current
    elif not current and QUERY_KEY in st.query_params:
        st.query_params.pop(QUERY_KEY, None)


class TurnSaver:
    """Keeps the conversation tree and the database up to date for one turn: the prompt before
    sending, checkpoints of the answer while it streams, and its final state. Without a store
    (the database is down) only the page's tree is kept."""

    def __init__(self, store: ConversationStore | None, turn: Turn, params: ChatParams) -> None:
        self.store = store
        self.turn = turn
        self.params = params
        self._last_checkpoint = time.monotonic()

    def _conversation(self) -> str | None:
        current: str | None = st.session_state.get(CONVERSATION)
        if current is None and self.store is not None:
            store = self.store
            current = safely(lambda: store.create(self.params))
            st.session_state[CONVERSATION] = current
            sync_url()
        return current

    def before_sending(self) -> None:
        tree = chat_tree()
        conversation = self._conversation()
        replaced = self.turn.replaces
        if replaced is not None and self.turn.discards_replaced and replaced.id in tree.messages:
            del tree.messages[replaced.id]
            self._write(lambda store, cid: store.delete_messages(cid, [replaced.id], []), conversation)
        prompt = self.turn.prompt
        if prompt.id not in tree.messages:
            tree.add(prompt)
            self._write(lambda store, cid: store.save_message(cid, prompt, self.params), conversation)
        tree.add(self.turn.answer)
        self._save(self.turn.answer)

    def progress(self, answer: Message) -> None:
        """Called while streaming; writes a checkpoint every few seconds."""
        if time.monotonic() - self._last_checkpoint >= CHECKPOINT_EVERY_S:
            self._last_checkpoint = time.monotonic()
            self._save(answer)

    def settled(self, answer: Message) -> None:
        self._save(answer)

    def _save(self, answer: Message) -> None:
        self._write(lambda store, cid: store.save_message(cid, answer, self.params))

    def _write(
        self, action: Callable[[ConversationStore, str], None], conversation: str | None = None
    ) -> None:
        conversation = conversation or st.session_state.get(CONVERSATION)
        store = self.store
        if store is not None and conversation is not None:
            safely(lambda: action(store, conversation))


def show_version(settings: Settings, message_id: str) -> None:
    """Button callback: flip to another answer or branch through this message."""
    store = current_store(settings)
    tree: ConversationTree = chat_tree()
    tree.show(message_id)
    st.session_state[MESSAGES] = tree.path()
    conversation = st.session_state.get(CONVERSATION)
    if conversation and store is not None:
        safely(lambda: store.show_leaf(conversation, tree.leaf_id))


def delete_pair(settings: Settings, prompt_id: str) -> None:
    """Delete a prompt with its answers; what followed stays."""
    store = current_store(settings)
    tree = chat_tree()
    if prompt_id not in tree.messages:
        return
    removed, moved = tree.remove_pair(prompt_id)
    st.session_state[MESSAGES] = tree.path()
    conversation = st.session_state.get(CONVERSATION)
    if conversation and store is not None:
        safely(lambda: store.delete_messages(conversation, removed, moved))
        safely(lambda: store.show_leaf(conversation, tree.leaf_id))
