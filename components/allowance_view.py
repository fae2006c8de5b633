"""A person's own allowance: the models they may use and their limits with what is used, in the
sidebar, and a notice once they have used most of any limit (what is left, when it resets)."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from components.plumbing import identity as identity_door
from components.plumbing.policy import allowance_of
from components.plumbing.storage import RunStore, safely
from core.policies import describe_models
from core.quotas import LimitName, UsageWindow, budget_lines, budget_notices, budget_text, describe_limits
from core.safe_text import literal
from core.settings import Settings

_LINE_NAMES: dict[LimitName, str] = {
    "requests_per_minute": "Requests this minute",
    "tokens_per_day": "Tokens today (UTC)",
    "cost_per_month_usd": "Cost this month (est.)",
}


def render_allowance(settings: Settings, store: RunStore) -> None:
    """The allowance box in the sidebar, and above the page's end the notice of any limit used to
    80% or more. Drawn at the end of the run: it reads the usage the run's request added."""
    user = identity_door.current_identity(settings)
    if user is None:
        return
    usage = store.usage()
    override = safely(lambda: usage.limits_of(user.user_id)) if usage is not None else None
    allowed = allowance_of(settings, store, user, override)
    window = UsageWindow()
    if usage is not None and not allowed.limits.is_empty():
        window = safely(lambda: usage.window(user.user_id)) or UsageWindow()
    with st.sidebar.expander("Your allowance", icon=":material/account_balance_wallet:"):
        if allowed.groups:
            st.caption(f"Your groups: {literal(', '.join(allowed.groups))}")
        st.markdown(f"**Models:** {literal(describe_models(allowed.models))}")
        if allowed.limits.is_empty():
            st.caption("No usage limits.")
        for line in budget_lines(allowed.limits, window):
            if line.allowed is not None:
                st.caption(literal(f"{_LINE_NAMES[line.limit]}: {budget_text(line)}"))
        st.caption(literal(f"In force: {describe_limits(allowed.limits)}."))
    for notice in budget_notices(allowed.limits, window, datetime.now(UTC)):
        st.warning(literal(notice.message), icon=":material/hourglass_bottom:")
