"""The Conversations page's pieces: import, one row per conversation with its actions, the
export buttons and the delete confirmation."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import streamlit as st

from components.config import load_settings
from components.library import request_open, when
from components.markdown import safe
from components.share import render_share_button
from components.state import conversations as state
from components.state import share as share_state
from components.storage import safely
from core.images import ImageLimits
from core.transfer import ImportRejected, export_json, export_markdown, import_json

if TYPE_CHECKING:
    from core.storage import ConversationInfo, ConversationStore


def file_stem(title: str) -> str:
    """A file name from a title: letters and digits joined by dashes."""
    return re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower()[:60] or "conversation"


@st.dialog("Delete this conversation?", on_dismiss=state.close_delete)
def confirm_delete(store: ConversationStore, info: ConversationInfo) -> None:
    """Delete only after a second, explicit press."""
    st.write(f"“{info.title}” and all its messages will be deleted. This cannot be undone.")
    row = st.container(horizontal=True)
    if row.button("Delete", type="primary", icon=":material/delete:", key=state.DELETE_CONFIRM):
        safely(lambda: store.delete(info.id))
        state.show_export(None)
        state.close_delete()
        st.rerun()
    if row.button("Cancel", key=state.DELETE_CANCEL):
        state.close_delete()
        st.rerun()


def render_import(store: ConversationStore) -> None:
    """Import a JSON export as a new conversation (all of it, or nothing with the reason)."""
    with st.expander("Import a conversation (JSON export)", icon=":material/upload:"):
        upload = st.file_uploader("JSON export", type=["json"], key=state.IMPORT_FILE)
        if st.button("Import", key=state.IMPORT, disabled=upload is None) and upload is not None:
            try:
                imported = import_json(upload.getvalue(), ImageLimits.from_settings(load_settings()))
            except ImportRejected as exc:
                st.error(f"{upload.name} was not imported: {exc}", icon=":material/error:")
                return
            created = safely(lambda: store.add_conversation(imported.title, imported.params, imported.tree))
            if created is not None:
                st.success(f"Imported “{imported.title}”.", icon=":material/check:")


def render_export(store: ConversationStore, conversation_id: str) -> None:
    """Download buttons for one conversation: Markdown to read, JSON to import again."""
    from core.storage import NotFound

    try:
        stored = safely(lambda: store.load(conversation_id))
    except NotFound:
        state.show_export(None)
        return
    if stored is None:
        return
    title, params, tree = stored.info.title, stored.params, stored.tree
    with st.container(border=True):
        st.markdown(f"**Export “{safe(title)}”**")
        row = st.container(horizontal=True)
        row.download_button(
            "Markdown",
            export_markdown(title, params, tree.path()),
            file_name=f"{file_stem(title)}.md",
            mime="text/markdown",
            icon=":material/description:",
            key=state.EXPORT_MD,
        )
        row.download_button(
            "JSON (can be imported)",
            export_json(title, params, tree),
            file_name=f"{file_stem(title)}.json",
            mime="application/json",
            icon=":material/data_object:",
            key=state.EXPORT_JSON,
        )


def render_row(store: ConversationStore, info: ConversationInfo) -> None:
    """A conversation's title and date with Open, Rename, Pin, Share, Export and Delete."""
    with st.container(border=True, horizontal=True, vertical_alignment="center"):
        pin = ":material/keep: " if info.pinned else ""
        st.markdown(f"{pin}**{safe(info.title)}**  \n:gray[{when(info.updated_at)}]", width="stretch")
        if st.button("Open", key=state.row_key("open", info.id), icon=":material/open_in_new:"):
            request_open(info.id)
            st.switch_page("pages/chat.py")
        with st.popover("Rename", icon=":material/edit:"):
            new_title = st.text_input("New title", value=info.title, key=state.row_key("title", info.id))
            if st.button("Save title", key=state.row_key("rename", info.id)):
                try:
                    safely(lambda: store.rename(info.id, new_title))
                    st.rerun()
                except ValueError as exc:
                    st.error(str(exc))
        pin_label = "Unpin" if info.pinned else "Pin"
        if st.button(pin_label, key=state.row_key("pin", info.id), icon=":material/keep:"):
            safely(lambda: store.set_pinned(info.id, not info.pinned))
            st.rerun()
        render_share_button(store, info.id, key=share_state.open_key(info.id))
        if st.button("Export", key=state.row_key("export", info.id), icon=":material/download:"):
            state.show_export(info.id)
            st.rerun()
        if st.button("Delete", key=state.row_key("delete", info.id), icon=":material/delete:"):
            state.ask_delete(info.id)
        if state.deleting() == info.id:
            confirm_delete(store, info)
