"""Scratch app for tests/browser/test_oidc_spike.py, not part of the product: it signs in with
Streamlit's own OIDC (`st.login`, `st.user`, `st.logout`) and prints what the script run sees."""

import json

import streamlit as st

# Each probe line is one st.text, "name=<json>", so a test can read it back exactly.
user = st.user.to_dict()
st.text("user=" + json.dumps(user, sort_keys=True, default=str))
st.text("has_is_logged_in=" + json.dumps(hasattr(st.user, "is_logged_in")))
st.text(
    "headers=" + json.dumps({key.lower(): value for key, value in st.context.headers.items()}, sort_keys=True)
)

if user.get("is_logged_in"):
    st.text("signed-in-as=" + json.dumps(user.get("email")))
    if st.button("Sign out"):
        st.logout()
else:
    st.text("signed-out")
    if st.button("Sign in"):
        st.login()
