"""All conversations, grouped by folder: search (in every folder or one), open, rename, pin, file
in a folder, share, delete, export as Markdown or JSON, import JSON or a whole archive; the
folders themselves; the links this user shared; the presets new chats start from; and all of
one's own data, to download or delete."""

from __future__ import annotations

import streamlit as st

from components.account import render_own_data
from components.conversations_view import render_export, render_import, render_rows
from components.folders_view import list_folders, render_folder_filter, render_folder_manager
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

    folders = list_folders(store)
    render_import(store)
    render_presets(settings, store)
    render_shared_links(store)
    person = identity.current_identity(settings)
    if person is not None:
        render_own_data(store, person)
    render_folder_manager(store, folders)
    search_box, folder_box = st.columns([3, 1], vertical_alignment="bottom")
    with search_box:
        search = st.text_input(
            "Search", key=SEARCH, placeholder="Search titles and messages", icon=":material/search:"
        )
    with folder_box:
        folder = render_folder_filter(folders)
    shown_export = exporting()
    if shown_export:
        render_export(store, shown_export, folders)
    conversations = safely(lambda: opened.conversations(search, limit=500, folder=folder)) or []
    if not conversations:
        if search.strip():
            st.caption("No conversation matches your search.")
        else:
            st.caption("No conversations in this folder." if folder is not None else "No conversations yet.")
    render_rows(store, conversations, folders)
    problem = take_save_problem()
    if problem:
        st.warning(problem, icon=":material/database:")


if __name__ == "__main__":  # Streamlit ran this file by itself, not app.py: go through its gate
    run_the_app_instead()
