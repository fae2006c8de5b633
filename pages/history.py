"""All conversations: search, open, rename, pin, delete, export as Markdown or JSON, import JSON."""

from __future__ import annotations

import re

import streamlit as st

from components.config import load_settings
from components.library import OPEN_REQUEST, when
from components.persistence import SAVE_PROBLEM, current_store, safely
from core.settings import SettingsError
from core.storage import ConversationInfo, ConversationStore, NotFound
from core.transfer import ImportRejected, export_json, export_markdown, import_json

EXPORTING = "history.exporting"
DELETING = "history.deleting"  # the conversation whose delete dialog is open

try:
    settings = load_settings()
except SettingsError as exc:
    st.error(f"The app's configuration needs fixing: {exc}", icon=":material/settings:")
    st.stop()

store = current_store(settings)
st.title("Conversations")
if store is None:
    st.error(st.session_state.pop(SAVE_PROBLEM, "The database is not reachable."), icon=":material/database:")
    st.stop()


def file_stem(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower()[:60] or "conversation"


def _close_delete() -> None:
    st.session_state.pop(DELETING, None)


@st.dialog("Delete this conversation?", on_dismiss=_close_delete)
def confirm_delete(store: ConversationStore, info: ConversationInfo) -> None:
    st.write(f"“{info.title}” and all its messages will be deleted. This cannot be undone.")
    row = st.container(horizontal=True)
    if row.button("Delete", type="primary", icon=":material/delete:", key="history.delete_confirm"):
        safely(lambda: store.delete(info.id))
        st.session_state.pop(EXPORTING, None)
        _close_delete()
        st.rerun()
    if row.button("Cancel", key="history.delete_cancel"):
        _close_delete()
        st.rerun()


def render_import(store: ConversationStore) -> None:
    with st.expander("Import a conversation (JSON export)", icon=":material/upload:"):
        upload = st.file_uploader("JSON export", type=["json"], key="history.import_file")
        if st.button("Import", key="history.import", disabled=upload is None) and upload is not None:
            try:
                imported = import_json(upload.getvalue())
            except ImportRejected as exc:
                st.error(f"{upload.name} was not imported: {exc}", icon=":material/error:")
                return
            created = safely(lambda: store.add_conversation(imported.title, imported.params, imported.tree))
            if created is not None:
                st.success(f"Imported “{imported.title}”.", icon=":material/check:")


def render_export(store: ConversationStore, conversation_id: str) -> None:
    try:
        stored = safely(lambda: store.load(conversation_id))
    except NotFound:
        st.session_state.pop(EXPORTING, None)
        return
    if stored is None:
        return
    title, params, tree = stored.info.title, stored.params, stored.tree
    with st.container(border=True):
        st.markdown(f"**Export “{title}”**")
        row = st.container(horizontal=True)
        row.download_button(
            "Markdown",
            export_markdown(title, params, tree.path()),
            file_name=f"{file_stem(title)}.md",
            mime="text/markdown",
            icon=":material/description:",
            key="history.export_md",
        )
        row.download_button(
            "JSON (can be imported)",
            export_json(title, params, tree),
            file_name=f"{file_stem(title)}.json",
            mime="application/json",
            icon=":material/data_object:",
            key="history.export_json",
        )


def render_row(store: ConversationStore, info: ConversationInfo) -> None:
    with st.container(border=True, horizontal=True, vertical_alignment="center"):
        pin = ":material/keep: " if info.pinned else ""
        st.markdown(f"{pin}**{info.title}**  \n:gray[{when(info.updated_at)}]", width="stretch")
        if st.button("Open", key=f"history.open.{info.id}", icon=":material/open_in_new:"):
            st.session_state[OPEN_REQUEST] = info.id
            st.switch_page("pages/chat.py")
        with st.popover("Rename", icon=":material/edit:"):
            new_title = st.text_input("New title", value=info.title, key=f"history.title.{info.id}")
            if st.button("Save title", key=f"history.rename.{info.id}"):
                try:
                    safely(lambda: store.rename(info.id, new_title))
                    st.rerun()
                except ValueError as exc:
                    st.error(str(exc))
        if st.button("Unpin" if info.pinned else "Pin", key=f"history.pin.{info.id}", icon=":material/keep:"):
            safely(lambda: store.set_pinned(info.id, not info.pinned))
            st.rerun()
        if st.button("Export", key=f"history.export.{info.id}", icon=":material/download:"):
            st.session_state[EXPORTING] = info.id
            st.rerun()
        if st.button("Delete", key=f"history.delete.{info.id}", icon=":material/delete:"):
            st.session_state[DELETING] = info.id
        if st.session_state.get(DELETING) == info.id:
            confirm_delete(store, info)


render_import(store)
search = st.text_input(
    "Search", key="history.search", placeholder="Search titles and messages", icon=":material/search:"
)
exporting = st.session_state.get(EXPORTING)
if exporting:
    render_export(store, exporting)
library: ConversationStore = store
conversations = safely(lambda: library.conversations(search, limit=500)) or []
if not conversations:
    st.caption("No conversation matches your search." if search.strip() else "No conversations yet.")
for info in conversations:
    render_row(store, info)
problem = st.session_state.pop(SAVE_PROBLEM, None)
if problem:
    st.warning(problem, icon=":material/database:")
