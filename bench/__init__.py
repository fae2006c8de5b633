"""Benchmarks: the chat app against the raw client and the Streamlit tutorial chatbot."""
