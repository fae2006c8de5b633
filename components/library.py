"""The conversation library in the chat sidebar: search, recent chats, open one."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import streamlit as st

from components.folders_view import FOLDER_ICON, folder_name, list_folders
from components.plumbing import routes
from components.plumbing.storage import RunStore, safely
from components.state.chat import LIBRARY_SEARCH, library_item_key
from components.state.common import OPEN_REQUEST
from components.state.compare import QUERY as COMPARISON_QUERY
from core.safe_text import SafeMarkdown, literal

if TYPE_CHECKING:
    from components.plumbing.storage import ConversationInfo

RECENT_COUNT = 8
COMPARISON = "comparison"  # a library line's kind when it is a comparison
COMPARISON_ICON = ":material/view_column:"


def when(moment: datetime) -> SafeMarkdown:
    """A short date for a library line: the time today, else the day."""
    local = moment.astimezone()
    today = datetime.now().astimezone().date()
    return literal(local.strftime("%H:%M") if local.date() == today else local.strftime("%d %b %Y"))


def request_open(conversation_id: str) -> None:
    """Button callback: the chat page opens this conversation on its coming run."""
    st.session_state[OPEN_REQUEST] = conversation_id


def open_comparison(comparison_id: str) -> None:
    """Go to the Compare page with this comparison open (not from a callback: it switches page)."""
    st.switch_page(routes.page(routes.COMPARE), query_params={COMPARISON_QUERY: comparison_id})


def take_open_request() -> str | None:
    """The conversation the library (on any page) asked the chat page to open, consumed."""
    requested: str | None = st.session_state.pop(OPEN_REQUEST, None)
    return requested


def render_library(store: RunStore, current_id: str | None) -> None:
    """Recent conversations (pinned first) with a search over titles and message text."""
    search = st.text_input(
        "Search conversations",
        key=LIBRARY_SEARCH,
        placeholder="Search titles and messages",
        label_visibility="collapsed",
        icon=":material/search:",
    )
    opened = store.conversations()
    listed = safely(lambda: opened.conversations(search, limit=RECENT_COUNT)) if opened else None
    found: list[ConversationInfo] = listed or []
    if not found:
        st.caption(
            "No conversation matches." if search.strip() else "Your conversations will be listed here."
        )
    # Folder names only when a line needs one: most runs of the chat page read no folder.
    folders = list_folders(store) if any(info.folder_id for info in found) else []
    for info in found:
        pin = ":material/keep: " if info.pinned else ""
        name = folder_name(folders, info.folder_id)
        filed = f" · {FOLDER_ICON} {literal(name)}" if name else ""
        if info.kind == COMPARISON:
            # A comparison opens on the Compare page, which reads it from the URL.
            models = " · ".join(info.models)
            if st.button(
                f"{pin}{literal(info.title)} :gray[· {literal(models)} · {when(info.updated_at)}{filed}]",
                key=library_item_key(info.id),
                icon=COMPARISON_ICON,
                type="tertiary",
                width="stretch",
            ):
                open_comparison(info.id)
            continue
        st.button(
            f"{pin}{literal(info.title)} :gray[· {when(info.updated_at)}{filed}]",
            key=library_item_key(info.id),
            on_click=request_open,
            args=(info.id,),
            type="secondary" if info.id == current_id else "tertiary",
            width="stretch",
        )
    st.page_link(routes.page(routes.CONVERSATIONS), label="All conversations", icon=":material/history:")
