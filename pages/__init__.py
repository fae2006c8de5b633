"""One module per page, each defining its page as a function that app.py registers after the
sign-in gate; nothing here draws when Streamlit runs a file by itself."""
