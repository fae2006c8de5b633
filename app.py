"""GPTProto Chat: page setup, who the user is, and navigation; each page lives in pages/."""

import streamlit as st

from components.config import require_settings
from components.identity import render_account, require_identity

st.set_page_config(page_title="GPTProto Chat", page_icon=":material/forum:", layout="wide")
settings = require_settings()
user = require_identity(settings)  # nobody is served anything before this says who they are

navigation = st.navigation(
    [
        st.Page("pages/chat.py", title="Chat", icon=":material/chat:", default=True),
        st.Page("pages/compare.py", title="Compare models", icon=":material/view_column:"),
        st.Page("pages/history.py", title="Conversations", icon=":material/history:"),
    ]
)
render_account(user)
navigation.run()
