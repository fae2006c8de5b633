"""Helpers shared by the tests and the benchmark: the GPTProto stand-in, starting Streamlit
processes, and the headless Chromium they drive."""
