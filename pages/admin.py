"""Admin: the team's usage over time, budgets, errors, the request log, per-user limits and the
audit log.

app.py lists this page only for admins, and the page checks again itself: anyone else gets a plain
'not available' page, stopped before any usage data is read, so none reaches their browser."""

from __future__ import annotations

import streamlit as st

from components.admin_view import render_admin, render_period
from components.plumbing import identity
from components.plumbing.config import require_settings
from components.plumbing.routes import run_the_app_instead
from components.plumbing.storage import RunStore
from components.state.common import take_save_problem


def admin_page() -> None:
    """Draw the Admin page, as the module's docstring describes."""
    settings = require_settings()
    viewer = identity.current_identity(settings)
    if viewer is None or not viewer.is_admin:
        st.title("Not available")
        st.caption("This page is only for the team's administrators.")
        st.stop()

    st.title("Usage and limits")
    days = render_period()
    store = RunStore(settings)
    if store.usage() is None:
        st.error(take_save_problem() or "The database is not reachable.", icon=":material/database:")
        st.stop()
    render_admin(store, viewer, settings, days)


if __name__ == "__main__":  # Streamlit ran this file by itself, not app.py: go through its gate
    run_the_app_instead()
