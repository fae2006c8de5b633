"""All conversations: search, open, rename, pin, share, delete, export as Markdown or JSON,
import JSON or a whole archive; the links this user shared; the presets new chats start from;
and all of one's own data, to download or delete."""

from __future__ import annotations

import streamlit as st

from components.account import render_own_data
from components.conversations_view import render_export, render_import, render_row
from components.plumbing import identity
from components.plumbing.config import require_settings
from components.plumbing.routes import run_the_app_instead
from components.plumbing.storage import RunStore, safely
from components.preset_editor import render_presets
from components.share_links import render_shared_links
from components.state.common import take_save_problem
from components.state.conversations import SEARCH, exporting


def history_page() -> None:
    """Draw the Conversations page, as the module's docstring describes."""
    settings = require_settings()
    st.title("Conversations")
    store = RunStore(settings)
    opened = store.conversations()
    if opened is None:
        st.error(take_save_problem() or "The database is not reachable.", icon=":material/database:")
        st.stop()

    render_import(store)
    render_presets(settings, store)
    render_shared_links(store)
    person = identity.current_identity(settings)
    if person is not None:
        render_own_data(store, person)
    search = st.text_input(
        "Search", key=SEARCH, placeholder="Search titles and messages", icon=":material/search:"
    )
    shown_export = exporting()
    if shown_export:
        render_export(store, shown_export)
    conversations = safely(lambda: opened.conversations(search, limit=500)) or []
    if not conversations:
        st.caption("No conversation matches your search." if search.strip() else "No conversations yet.")
    for info in conversations:
        render_row(store, info)
    problem = take_save_problem()
    if problem:
        st.warning(problem, icon=":material/database:")


if __name__ == "__main__":  # Streamlit ran this file by itself, not app.py: go through its gate
    run_the_app_instead()
