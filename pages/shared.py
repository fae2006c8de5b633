"""A shared link, read-only: `/shared?s=<token>` shows the snapshot it names to anyone signed in,
with "Copy into my chats"; an unknown or revoked link answers like a missing page."""

from __future__ import annotations

import streamlit as st

from components.plumbing.config import require_settings
from components.plumbing.routes import run_the_app_instead
from components.plumbing.storage import RunStore
from components.share_links import DATABASE_DOWN, render_shared_view
from core.share_links import QUERY


def shared_link_page() -> None:
    """Draw the shared link page, as the module's docstring describes."""
    settings = require_settings()
    store = RunStore(settings)
    if store.conversations() is None:
        st.error(DATABASE_DOWN, icon=":material/database:")
        st.stop()
    render_shared_view(store, st.query_params.get(QUERY))


if __name__ == "__main__":  # Streamlit ran this file by itself, not app.py: go through its gate
    run_the_app_instead()
