"""GPTProto Chat: page setup, who the user is, and navigation; each page is a function in pages/."""

import streamlit as st

import server_tuning  # noqa: F401  (TCP_NODELAY when started with plain `streamlit run`)
from components.account import render_account
from components.plumbing import routes
from components.plumbing.config import require_settings, warn_about_replica_settings
from components.plumbing.identity import require_identity
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

pages = {
    routes.CHAT: st.Page(
        routes.page_function("chat", "chat_page"),
        title="Chat",
        icon=":material/chat:",
        url_path=routes.CHAT,
        default=True,
    ),
    routes.COMPARE: st.Page(
        routes.page_function("compare", "compare_page"),
        title="Compare models",
        icon=":material/view_column:",
        url_path=routes.COMPARE,
    ),
    routes.CONVERSATIONS: st.Page(
        routes.page_function("history", "history_page"),
        title="Conversations",
        icon=":material/history:",
        url_path=routes.CONVERSATIONS,
    ),
    routes.SHARED_LINK: st.Page(
        routes.page_function("shared", "shared_link_page"),
        title="Shared",
        url_path=routes.SHARED_LINK,
        visibility="hidden",
    ),
    routes.ADMIN: st.Page(
        routes.page_function("admin", "admin_page"),
        title="Admin",
        icon=":material/monitoring:",
        url_path=routes.ADMIN,
        visibility="visible" if user.is_admin else "hidden",
    ),
}
routes.register(pages)
navigation = st.navigation(list(pages.values()))
render_account(user)
render_presenter_controls()
run_again_after_reconnecting()
navigation.run()
