"""A page that reconnects to another replica (or to its own, restarted) runs there at once.

When its websocket comes back, Streamlit's browser code asks the new server for a run only if a
run was in progress, or if the page has a fragment that reruns on a timer. A tab that sat idle
when its replica drained therefore reconnected to a server holding no session for it: the
conversation stayed on screen, but the first click (Retry, say) started that session, and a
button's callback registered in the old session never fires in a new one, so the click did
nothing. One timed fragment that draws nothing makes every reconnect run the page, which reopens
the conversation named in the URL and registers its buttons again.
"""

from __future__ import annotations

import streamlit as st

# The timer only has to exist; an hour between its (empty) runs costs nothing.
TIMER_S = 3600


@st.fragment(run_every=TIMER_S)
def _timer() -> None:
    """Draws nothing: its timer is what makes a reconnecting page run."""


def run_again_after_reconnecting() -> None:
    """Once per page run, before the page draws."""
    _timer()
