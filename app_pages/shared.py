"""A shared link, read-only: `/shared?s=<token>` shows the snapshot it names to anyone signed in,
with "Copy into my chats"; an unknown or revoked link answers like a missing page."""

from __future__ import annotations

import streamlit as st

from components.config import require_settings
from components.share import DATABASE_DOWN, render_shared_view
from components.storage import RunStore
from core.sharing import QUERY

settings = require_settings()
store = RunStore(settings).get()
if store is None:
    st.error(DATABASE_DOWN, icon=":material/database:")
    st.stop()
render_shared_view(store, st.query_params.get(QUERY))
