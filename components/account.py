"""Who is signed in, shown at the top of the sidebar; and each person's own data: all of it in one
archive to download, or deleted after they type a confirmation."""

from __future__ import annotations

import streamlit as st

from components.downloads import download_button
from components.plumbing.storage import RunStore
from components.state import conversations as state
from core.identity import Identity
from core.own_data import erase_confirmation, erase_confirmed, erased_summary
from core.safe_text import code_span, literal


def render_account(identity: Identity) -> None:
    """Who is signed in, at the top of the sidebar, with Sign out where the app signed them in."""
    if identity.mode == "none":
        return
    with st.sidebar.container(border=True):
        st.markdown(f"**{literal(identity.name)}**")  # as the sign-in provider spelled them
        if identity.email and identity.email != identity.name:
            st.caption(literal(identity.email))
        if identity.mode == "oidc":
            if st.button("Sign out", icon=":material/logout:", width="stretch"):
                st.logout()
        else:
            st.caption("Signed in through your organisation's sign-in proxy.")


def render_own_data(store: RunStore, identity: Identity) -> None:
    """Download all my data (one zip that imports back), and delete all of it."""
    erased = st.session_state.pop(state.ERASED, None)
    if erased:
        st.success(literal(erased), icon=":material/check:")
    with st.expander("Your data: download all of it, or delete all of it", icon=":material/folder_zip:"):
        st.caption(
            "One zip with every conversation, comparison, prompt set and preset of yours in the app's "
            "export formats (it imports into any GPTProto Chat, here too), and your usage as CSV."
        )
        make = store.archive_maker()
        download_button(
            st.container(),
            "Download all my data (zip)",
            make or (lambda: b""),
            "gptproto-my-data.zip",
            mime="application/zip",
            key=state.ARCHIVE,
            icon=":material/download:",
            disabled=make is None,
        )
        st.divider()
        expected = erase_confirmation(identity.email)
        st.caption(
            "Delete all my data: every conversation, comparison, prompt set, preset (published ones "
            "too), share link and Compare vote, for good. Your usage records stay (the team's limits "
            "and costs count from them; they hold no text), as does the audit log's record that you "
            "did this."
        )
        typed = st.text_input(f"Type {code_span(expected)} to confirm", key=state.ERASE_TYPED)
        if st.button("Delete all my data", key=state.ERASE, type="primary", icon=":material/delete_forever:"):
            if not erase_confirmed(typed, expected):
                st.error(f"Nothing was deleted: type {code_span(expected)} in the box above to confirm.")
                return
            done = store.erase_everything()
            if done is None:
                st.error(
                    "Nothing was deleted: the database did not answer. Try again shortly.",
                    icon=":material/database:",
                )
                return
            st.session_state[state.ERASED] = erased_summary(done)
            st.session_state.pop(state.ERASE_TYPED, None)
            st.rerun()
