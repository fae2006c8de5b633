"""The conversation library in the chat sidebar: search, recent chats, open one."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import streamlit as st

from components.persistence import safely

if TYPE_CHECKING:
    from core.storage import ConversationInfo, ConversationStore

SEARCH_KEY = "library.search"
OPEN_REQUEST = "library.open"
RECENT_COUNT = 8


def when(moment: datetime) -> str:
    """A short date for a library line: the time today, else the day."""
    local = moment.astimezone()
    today = datetime.now().astimezone().date()
    return local.strftime("%H:%M") if local.date() == today else local.strftime("%d %b %Y")


def request_open(conversation_id: str) -> None:
    """Button callback: open this conversation on the coming rerun."""
    st.session_state[OPEN_REQUEST] = conversation_id


def render_library(store: ConversationStore, current_id: str | None) -> None:
    """Recent conversations (pinned first) with a search over titles and message text."""
    search = st.text_input(
        "Search conversations",
        key=SEARCH_KEY,
        placeholder="Search titles and messages",
        label_visibility="collapsed",
        icon=":material/search:",
    )
    found: list[ConversationInfo] = safely(lambda: store.conversations(search, limit=RECENT_COUNT)) or []
    if not found:
        st.caption(
            "No conversation matches." if search.strip() else "Your conversations will be listed here."
        )
    for info in found:
        pin = ":material/keep: " if info.pinned else ""
        st.button(
            f"{pin}{info.title} :gray[· {when(info.updated_at)}]",
            key=f"library.item.{info.id}",
            on_click=request_open,
            args=(info.id,),
            type="secondary" if info.id == current_id else "tertiary",
            width="stretch",
        )
    st.page_link("pages/history.py", label="All conversations", icon=":material/history:")
