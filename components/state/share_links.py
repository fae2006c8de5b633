"""Share links' session state and widget keys, under `share.`: the Share dialog (on whichever
page opens it), the owner's list of links, and the shared view."""

from __future__ import annotations

from typing import Any

import streamlit as st

DIALOG = "share.dialog"  # (button key, kind, conversation id or None) while the dialog is open
CREATED = "share.created"  # (button key, kind, conversation id or None, token): the link it made
VIEW = "share.view"  # (token, what the snapshot read back as) for the shared view's reruns

# Widgets.
OPEN = "share.open"  # the Share button (one per page; rows of a list pass their own key)
CREATE = "share.create"
CLOSE = "share.close"
COPY = "share.copy"  # "Copy into my chats" on the shared view


def open_key(conversation_id: str) -> str:
    """The Share button of one conversation in a list."""
    return f"share.open.{conversation_id}"


def revoke_key(token: str) -> str:
    """The Revoke button of one link in the owner's list."""
    return f"share.revoke.{token}"


# (the Share button's key, kind, conversation id): the button that opened the dialog is the only
# one that draws it, so a dialog left open on one page never reappears under another's button.
Target = tuple[str, str, str | None]


def open_dialog(key: str, kind: str, conversation_id: str | None) -> None:
    """Button callback: open the Share dialog for this conversation (or comparison)."""
    st.session_state[DIALOG] = (key, kind, conversation_id)
    st.session_state.pop(CREATED, None)


def close_dialog() -> None:
    """Dialog callback: no Share dialog on the next run."""
    st.session_state.pop(DIALOG, None)
    st.session_state.pop(CREATED, None)


def dialog_target() -> Target | None:
    """What the open Share dialog is about, if one is open."""
    target: Target | None = st.session_state.get(DIALOG)
    return target


def created_token(target: Target) -> str | None:
    """The link the open dialog already made for `target` (one per opening, not one per rerun)."""
    created = st.session_state.get(CREATED)
    if created is None or tuple(created[:3]) != target:
        return None
    token: str = created[3]
    return token


def remember_created(target: Target, token: str) -> None:
    """The open dialog made this link."""
    st.session_state[CREATED] = (*target, token)


def viewed(token: str) -> Any | None:
    """The snapshot of `token` as already read in this session, if it was."""
    memo = st.session_state.get(VIEW)
    return memo[1] if memo is not None and memo[0] == token else None


def remember_viewed(token: str, content: Any) -> None:
    """Keep the read snapshot for this page's reruns (one link at a time)."""
    st.session_state[VIEW] = (token, content)
