"""Session state that more than one page reads, all under the `common.` prefix."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from core.safe_text import SafeMarkdown, literal

USER_KEY = "common.user_key"  # the user's own API key, kept across page switches
USER_KEY_INPUT = "common.user_key_input"  # the sidebar's password box (its state resets per page)
OPEN_REQUEST = "common.open_conversation"  # a conversation another page asked Chat to open
SAVE_PROBLEM = "common.save_problem"  # the last storage failure, shown once
STORE_URL = "common.store_url"  # the database this session's store is on (for its back-off)
USER_RECORDED = "common.user_recorded"  # the user whose name and email were stored this session
RESTORE_TEXT = "common.restore_input"  # a rejected prompt, put back into the input box
RESTORE_PROBLEM = "common.restore_problem"  # why it was rejected
PRESENTER = "common.presenter"  # the presenter view toggle (the URL carries ?present=1 too)
HIDE_COSTS = "common.hide_costs"  # the presenter hides cost figures from the audience
PRESENT_QUERY = "present"  # ?present=1 opens a prepared link in the presenter view


@dataclass(frozen=True)
class OptionKeys:
    """The widget keys of one page's request options (each page keeps its own choices)."""

    max_tokens: str
    stream: str
    instructions: str
    instructions_role: str


NOT_SET = "not set"  # the reasoning effort box when no effort is sent


@dataclass(frozen=True)
class SamplingKeys:
    """The widget keys of one set of optional request parameters (a page's, or a column's)."""

    prefix: str

    def key(self, name: str) -> str:
        """The box of the parameter `name` (a core.sampling name)."""
        return f"{self.prefix}.{name}"


def unset_parameter(keys: SamplingKeys, name: str) -> None:
    """Empty the box of one parameter (before its widget is drawn): it is no longer sent."""
    st.session_state[keys.key(name)] = NOT_SET if name == "reasoning_effort" else ""


def remember_user_key() -> None:
    """Widget callback: keep the typed key beyond the page that showed the box."""
    st.session_state[USER_KEY] = st.session_state.get(USER_KEY_INPUT, "")


def take_save_problem() -> SafeMarkdown | None:
    """The storage problem to show, once (it can quote the database's words)."""
    problem: str | None = st.session_state.pop(SAVE_PROBLEM, None)
    return literal(problem) if problem else None
