"""Admin: the team's usage over time, budgets, errors, the request log and per-user limits.

app.py lists this page only for admins, and the page checks again itself: anyone else gets a plain
'not available' page, stopped before any usage data is read, so none reaches their browser."""

from __future__ import annotations

import streamlit as st

from components import identity
from components.admin_view import render_admin, render_period
from components.config import require_settings
from components.state.shared import take_save_problem
from components.storage import RunStore
from core.admission import streaming_bound
from core.usage import default_limits

settings = require_settings()
viewer = identity.current_identity(settings)
if viewer is None or not viewer.is_admin:
    st.title("Not available")
    st.caption("This page is only for the team's administrators.")
    st.stop()

st.title("Usage and limits")
days = render_period()
store = RunStore(settings).get()
if store is None:
    st.error(take_save_problem() or "The database is not reachable.", icon=":material/database:")
    st.stop()
render_admin(store.engine, viewer, default_limits(settings), days, streaming_bound(settings.total_timeout))
