"""Who is signed in, shown at the top of the sidebar."""

from __future__ import annotations

import streamlit as st

from components.plumbing.markdown import safe
from core.identity import Identity


def render_account(identity: Identity) -> None:
    """Who is signed in, at the top of the sidebar, with Sign out where the app signed them in."""
    if identity.mode == "none":
        return
    with st.sidebar.container(border=True):
        st.markdown(f"**{safe(identity.name)}**")
        if identity.email and identity.email != identity.name:
            st.caption(identity.email)
        if identity.mode == "oidc":
            if st.button("Sign out", icon=":material/logout:", width="stretch"):
                st.logout()
        else:
            st.caption("Signed in through your organisation's sign-in proxy.")
