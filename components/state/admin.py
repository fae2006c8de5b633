"""The admin page's session state and widget keys, under `admin.`."""

from __future__ import annotations

import streamlit as st

from core.safe_text import SafeMarkdown, literal

SAVED = "admin.saved"  # the confirmation of the last limits saved, shown once
POLICY_SAVED = "admin.policy_saved"  # the same for a group's policy, shown under its own form

# Widgets.
PERIOD = "admin.period"
LIMITS_USER = "admin.limits_user"
LIMITS_SAVE = "admin.limits_save"
DOWNLOAD_CSV = "admin.download_csv"


def limit_key(field: str, user_id: str) -> str:
    """The box for one limit (`requests_per_minute`, ...) of one user in the limits form."""
    return f"admin.limit.{field}.{user_id}"


def seed_limit_boxes(user_id: str, stored: dict[str, float | None]) -> None:
    """Fill one user's limit boxes from storage when they are first drawn. The boxes' own default
    stays empty (None): a box whose default were the stored value could never be cleared, since
    Streamlit reads an emptied number box as its default."""
    for field, value in stored.items():
        st.session_state.setdefault(limit_key(field, user_id), value)


def limits_form_key(user_id: str) -> str:
    """The form that edits one user's limits."""
    return f"admin.limits_form.{user_id}"


def announce_saved(text: str, key: str = SAVED) -> None:
    """Show `text` as a confirmation on the next run (under the form `key` belongs to)."""
    st.session_state[key] = text


def take_saved(key: str = SAVED) -> SafeMarkdown | None:
    """The confirmation to show, once, as written (it names the user by their email)."""
    text: str | None = st.session_state.pop(key, None)
    return literal(text) if text else None


# The groups' policies.
POLICY_GROUP = "admin.policy_group"  # which group the policy form edits
POLICY_NEW_GROUP = "admin.policy_new_group"  # the name typed for a group with no policy yet
POLICY_SAVE = "admin.policy_save"
POLICY_REMOVE = "admin.policy_remove"
NEW_GROUP = "New group…"


def policy_key(field: str, group: str) -> str:
    """The box for one field (`models`, `requests_per_minute`, ...) of one group's policy."""
    return f"admin.policy.{field}.{group}"


def policy_form_key(group: str) -> str:
    """The form that edits one group's policy."""
    return f"admin.policy_form.{group}"


def seed_policy_boxes(group: str, stored: dict[str, object]) -> None:
    """Fill one group's policy boxes from the policy in force when they are first drawn (the
    boxes' own default stays empty, as for a user's limits)."""
    for field, value in stored.items():
        st.session_state.setdefault(policy_key(field, group), value)


# The audit log's filters and download.
AUDIT_PERSON = "admin.audit.person"
AUDIT_ACTION = "admin.audit.action"
AUDIT_PERIOD = "admin.audit.period"
AUDIT_CSV = "admin.audit.csv"
