"""A failed answer: what happened, what to do, the provider's words and the request id."""

from __future__ import annotations

import streamlit as st

from core.gateway.errors import GatewayError


def render_error_card(error: GatewayError) -> None:
    """One specific message per failure; never a traceback, never a key."""
    lines = [f"**{error.title}**", error.hint]
    details = []
    if error.status_code is not None:
        details.append(f"HTTP {error.status_code}")
    if error.request_id:
        details.append(f"request id `{error.request_id}`")
    if details:
        lines.append(" · ".join(details))
    st.error("  \n".join(lines), icon=":material/error:")
    if error.provider_message:
        st.caption(f"Gateway says: {error.provider_message}")
