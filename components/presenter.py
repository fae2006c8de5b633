"""The presenter view for demos on a projector: the sidebar starts collapsed, type is larger,
Compare uses the whole width, figures and document chips are large, the blind vote is big
buttons, and costs can be hidden. A toggle turns it on, and `?present=1` in a prepared link
opens the app in it."""

from __future__ import annotations

import streamlit as st

from components.state.common import HIDE_COSTS, PRESENT_QUERY, PRESENTER

_STYLE = """
<style>
#stMain .stMainBlockContainer { max-width: 100%; padding: 1.5rem 2.5rem 6rem; }
#stMain h1 { font-size: 2.8rem !important; }
#stMain h3 { font-size: 1.9rem !important; }
#stMain [data-testid="stMarkdownContainer"] p,
#stMain [data-testid="stMarkdownContainer"] li { font-size: 1.4rem !important; line-height: 1.55; }
#stMain [data-testid="stCaptionContainer"] { font-size: 1.15rem !important; }
#stMain code { font-size: 1.15rem !important; }
#stMain .stMarkdownBadge { font-size: 1.15rem !important; }
#stMain pre { white-space: pre-wrap; }
[data-testid="stChatInputTextArea"] { font-size: 1.3rem !important; }
[data-testid="stMetricValue"] { font-size: 3rem !important; }
[data-testid="stMetricLabel"] p { font-size: 1.2rem !important; }
[class*="st-key-compare-vote-"] button {
  font-size: 1.6rem !important; min-height: 4.5rem; padding: 0.75rem 2.5rem;
}
[class*="st-key-compare-vote-"] button p { font-size: 1.6rem !important; font-weight: 600; }
</style>
"""


def presenting() -> bool:
    """True when the presenter view is on (by the toggle, or a prepared `?present=1` link)."""
    if PRESENTER not in st.session_state:
        st.session_state[PRESENTER] = st.query_params.get(PRESENT_QUERY) == "1"
    return bool(st.session_state[PRESENTER])


def costs_hidden() -> bool:
    """True when the presenter chose to keep cost figures off the screen."""
    return presenting() and bool(st.session_state.get(HIDE_COSTS, False))


def _follow_toggle() -> None:
    # The URL says so too, so the address bar is a link that opens the same view.
    if st.session_state.get(PRESENTER):
        st.query_params[PRESENT_QUERY] = "1"
    else:
        st.query_params.pop(PRESENT_QUERY, None)


def render_presenter_controls() -> None:
    """The toggle (and, while presenting, whether to show costs) in the sidebar, and the style."""
    presenting()
    with st.sidebar:
        st.toggle(
            "Presenter view", key=PRESENTER, on_change=_follow_toggle, help="Large type for a projector"
        )
        if st.session_state[PRESENTER]:
            st.toggle("Hide costs", key=HIDE_COSTS, help="Keep cost estimates off the screen")
    if st.session_state[PRESENTER]:
        st.html(_STYLE)
