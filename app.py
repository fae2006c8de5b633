"""GPTProto Chat: page setup and navigation only; each page lives in pages/."""

import streamlit as st

import server_tuning  # noqa: F401  (TCP_NODELAY when started with plain `streamlit run`)

st.set_page_config(page_title="GPTProto Chat", page_icon=":material/forum:", layout="wide")

navigation = st.navigation(
    [
        st.Page("pages/chat.py", title="Chat", icon=":material/chat:", default=True),
        st.Page("pages/compare.py", title="Compare models", icon=":material/view_column:"),
        st.Page("pages/history.py", title="Conversations", icon=":material/history:"),
    ]
)
navigation.run()
