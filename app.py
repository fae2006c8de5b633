"""GPTProto Chat: page setup, who the user is, and navigation; each page lives in app_pages/."""

import streamlit as st

import server_tuning  # noqa: F401  (TCP_NODELAY when started with plain `streamlit run`)
from components.config import require_settings, warn_about_replica_settings
from components.identity import render_account, require_identity
from components.presenter import presenting, render_presenter_controls
from components.reconnect import run_again_after_reconnecting

st.set_page_config(
    page_title="GPTProto Chat",
    page_icon=":material/forum:",
    layout="wide",
    initial_sidebar_state="collapsed" if presenting() else "auto",
)
settings = require_settings()
warn_about_replica_settings(settings)
user = require_identity(settings)  # nobody is served anything before this says who they are

navigation = st.navigation(
    [
        st.Page("app_pages/chat.py", title="Chat", icon=":material/chat:", default=True),
        st.Page("app_pages/compare.py", title="Compare models", icon=":material/view_column:"),
        st.Page("app_pages/history.py", title="Conversations", icon=":material/history:"),
        st.Page("app_pages/shared.py", title="Shared", url_path="shared", visibility="hidden"),
        st.Page(
            "app_pages/admin.py",
            title="Admin",
            icon=":material/monitoring:",
            visibility="visible" if user.is_admin else "hidden",
        ),
    ]
)
render_account(user)
render_presenter_controls()
run_again_after_reconnecting()
navigation.run()
