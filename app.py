"""GPTProto Chat: page setup and navigation only; each page lives in pages/."""

import streamlit as st

st.set_page_config(page_title="GPTProto Chat", page_icon=":material/forum:", layout="wide")

navigation = st.navigation([st.Page("pages/chat.py", title="Chat", icon=":material/chat:", default=True)])
navigation.run()
