"""A failed answer: what happened, what to do, the provider's words and the request id."""

from __future__ import annotations

import streamlit as st

from core.gateway.errors import GatewayError
from core.safe_text import code_span, literal


def render_error_card(error: GatewayError) -> None:
    """One specific message per failure; never a traceback, never a key. The provider's words,
    and the hint that can quote them or a model id, are shown as written."""
    status = f"HTTP {error.status_code:d}" if error.status_code is not None else ""
    request = f"request id {code_span(error.request_id)}" if error.request_id else ""
    details = f"{status}{' · ' if status and request else ''}{request}"
    lines = f"**{literal(error.title)}**  \n{literal(error.hint)}" + (f"  \n{details}" if details else "")
    st.error(lines, icon=":material/error:")
    if error.provider_message:
        st.caption(f"Gateway says: {literal(error.provider_message)}")
