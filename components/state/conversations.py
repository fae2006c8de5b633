"""The Conversations page's session state and widget keys, under `history.`."""

from __future__ import annotations

import streamlit as st

EXPORTING = "history.exporting"  # the conversation whose export buttons are shown
DELETING = "history.deleting"  # the conversation whose delete dialog is open

# Widgets.
SEARCH = "history.search"
IMPORT_FILE = "history.import_file"
IMPORT = "history.import"
EXPORT_MD = "history.export_md"
EXPORT_JSON = "history.export_json"
EXPORT_HTML = "history.export_html"  # a comparison's HTML report
DELETE_CONFIRM = "history.delete_confirm"
DELETE_CANCEL = "history.delete_cancel"
ARCHIVE = "history.archive"  # download all my data
ERASE_TYPED = "history.erase_typed"  # what the person typed to confirm deleting all their data
ERASE = "history.erase"
ERASED = "history.erased"  # what deleting all of it removed, said once on the next run


def row_key(action: str, conversation_id: str) -> str:
    """A button or field of one conversation's row: open, title, rename, pin, export, delete."""
    return f"history.{action}.{conversation_id}"


def exporting() -> str | None:
    """The conversation whose export is shown, if any."""
    value: str | None = st.session_state.get(EXPORTING)
    return value


def show_export(conversation_id: str | None) -> None:
    """Show (or, with None, hide) the export buttons of a conversation."""
    if conversation_id is None:
        st.session_state.pop(EXPORTING, None)
    else:
        st.session_state[EXPORTING] = conversation_id


def deleting() -> str | None:
    """The conversation whose delete dialog is open, if any."""
    value: str | None = st.session_state.get(DELETING)
    return value


def ask_delete(conversation_id: str | None) -> None:
    """Open (or, with None, close) the delete dialog of a conversation."""
    if conversation_id is None:
        st.session_state.pop(DELETING, None)
    else:
        st.session_state[DELETING] = conversation_id


def close_delete() -> None:
    """Dialog callback: no delete dialog on the next run."""
    ask_delete(None)
