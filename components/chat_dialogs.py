"""Dialogs on a message: edit and resend (branching), and delete an exchange."""

from __future__ import annotations

import streamlit as st

from components.plumbing.chat_persistence import delete_pair
from components.plumbing.storage import RunStore
from components.state.chat import (
    DELETE_CANCEL,
    DELETE_CONFIRM,
    EDIT_CANCEL,
    EDIT_SEND,
    close_dialog,
    edit_text_key,
    request_action,
)
from core.conversation import Message
from core.input_length import length_counter, too_long_message
from core.safe_text import literal


@st.dialog("Edit and resend", width="large", on_dismiss=close_dialog)
def edit_dialog(message: Message, max_chars: int) -> None:
    """The conversation branches at this message; the original branch stays reachable."""
    text = st.text_area("Your message", value=message.text, key=edit_text_key(message.id), height=160)
    counter = length_counter(len(text), max_chars)
    if counter:
        st.caption(literal(counter))
    st.caption("Sending starts a new branch from here. The original stays: flip back with the arrows.")
    attached = [document.name for document in message.documents] + [image.name for image in message.images]
    if attached:
        st.caption(literal(f"Sent again with it: {', '.join(attached)}."))  # file names are anyone's
    row = st.container(horizontal=True)
    if row.button("Send edited message", type="primary", icon=":material/send:", key=EDIT_SEND):
        if not text.strip():
            st.error("The message is empty: type something to send.", icon=":material/edit:")
            return
        problem = too_long_message("edited message", len(text), max_chars)
        if problem:
            st.error(literal(problem), icon=":material/edit:")  # the text stays in the box to shorten
            return
        request_action("edit", message.id, text)
        close_dialog()
        st.rerun()
    if row.button("Cancel", key=EDIT_CANCEL):
        close_dialog()
        st.rerun()


@st.dialog("Delete this exchange?", on_dismiss=close_dialog)
def delete_dialog(store: RunStore, message: Message) -> None:
    """Confirm before deleting a prompt and its answer(s)."""
    preview = message.text if len(message.text) <= 80 else message.text[:80] + "…"
    st.write(f"Your message “{literal(preview)}” and its answer(s) will be deleted. This cannot be undone.")
    row = st.container(horizontal=True)
    if row.button("Delete", type="primary", icon=":material/delete:", key=DELETE_CONFIRM):
        delete_pair(store, message.id)
        close_dialog()
        st.rerun()
    if row.button("Cancel", key=DELETE_CANCEL):
        close_dialog()
        st.rerun()
