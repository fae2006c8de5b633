"""Dialogs on a message: edit and resend (branching), and delete an exchange."""

from __future__ import annotations

import streamlit as st

from components.chat_state import close_dialog, request_action
from components.persistence import delete_pair
from core.conversation import Message
from core.settings import Settings


@st.dialog("Edit and resend", width="large", on_dismiss=close_dialog)
def edit_dialog(message: Message) -> None:
    """The conversation branches at this message; the original branch stays reachable."""
    text = st.text_area("Your message", value=message.text, key=f"chat.edit_text.{message.id}", height=160)
    st.caption("Sending starts a new branch from here. The original stays: flip back with the arrows.")
    row = st.container(horizontal=True)
    if row.button("Send edited message", type="primary", icon=":material/send:", key="chat.edit_send"):
        if not text.strip():
            st.error("The message is empty: type something to send.", icon=":material/edit:")
            return
        request_action("edit", message.id, text)
        close_dialog()
        st.rerun()
    if row.button("Cancel", key="chat.edit_cancel"):
        close_dialog()
        st.rerun()


@st.dialog("Delete this exchange?", on_dismiss=close_dialog)
def delete_dialog(settings: Settings, message: Message) -> None:
    """Confirm before deleting a prompt and its answer(s)."""
    preview = message.text if len(message.text) <= 80 else message.text[:80] + "…"
    st.write(f"Your message “{preview}” and its answer(s) will be deleted. This cannot be undone.")
    row = st.container(horizontal=True)
    if row.button("Delete", type="primary", icon=":material/delete:", key="chat.delete_confirm"):
        delete_pair(settings, message.id)
        close_dialog()
        st.rerun()
    if row.button("Cancel", key="chat.delete_cancel"):
        close_dialog()
        st.rerun()
