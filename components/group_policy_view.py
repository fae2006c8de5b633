"""The Admin page's groups: every group's policy in force (from the settings, or saved here) and
the form that saves one, or removes a saved one so the settings' policy applies again."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import streamlit as st

from components.plumbing.policy_changes import StorageUnavailable, save_change
from components.plumbing.storage import RunStore
from components.state.admin import (
    NEW_GROUP,
    POLICY_GROUP,
    POLICY_NEW_GROUP,
    POLICY_REMOVE,
    POLICY_SAVE,
    POLICY_SAVED,
    announce_saved,
    policy_form_key,
    policy_key,
    seed_policy_boxes,
    take_saved,
)
from core.policies import (
    GroupPolicy,
    GroupPolicyRemoved,
    GroupPolicySaved,
    PolicyChange,
    describe_models,
    describe_policy,
    group_key,
    parse_patterns,
)
from core.quotas import Limits
from core.safe_text import literal
from core.settings import Settings

if TYPE_CHECKING:
    from components.plumbing.storage import UserInfo


class Admin(Protocol):
    """Who is looking: what the form needs of the signed-in identity."""

    @property
    def user_id(self) -> str: ...

    @property
    def email(self) -> str | None: ...


def render_group_policies(
    store: RunStore,
    admin: Admin,
    settings: Settings,
    policies: dict[str, GroupPolicy],
    users: Sequence[UserInfo],
) -> None:
    """The groups' policies: a table of those in force, and the form that edits one."""
    st.subheader("Groups and policies")
    st.caption(
        "People in no group with a model list may use "
        f"{literal(describe_models(settings.default_models_allowed))} "
        "(GPTPROTO_DEFAULT_MODELS_ALLOWED). Someone in several groups may use every model any of "
        "them allows, with the most generous of their limits; a person's own limits come first."
    )
    members: dict[str, int] = {}
    for user in users:
        for group in user.groups:
            members[group_key(group)] = members.get(group_key(group), 0) + 1
    if policies:
        rows = [
            {
                "group": policy.group,
                "people": members.get(key, 0),
                "from": "Admin page" if policy.source == "admin" else "settings",
                "policy": describe_policy(policy),
            }
            for key, policy in policies.items()
        ]
        st.dataframe(rows, hide_index=True, width="stretch")
    else:
        st.caption("No group has a policy yet.")
    _policy_editor(store, admin, policies, users)


def _policy_editor(
    store: RunStore, admin: Admin, policies: dict[str, GroupPolicy], users: Sequence[UserInfo]
) -> None:
    saved = take_saved(POLICY_SAVED)
    if saved:
        st.success(saved, icon=":material/check:")
    known = {key: policy.group for key, policy in policies.items()}
    for user in users:
        for group in user.groups:
            known.setdefault(group_key(group), group)
    options = [*sorted(known.values(), key=group_key), NEW_GROUP]
    picked = st.selectbox("Group", options, key=POLICY_GROUP)
    group = str(picked or NEW_GROUP)
    if group == NEW_GROUP:
        group = st.text_input("Group name", key=POLICY_NEW_GROUP, placeholder="e.g. interns").strip()
        if not group:
            return
    current = policies.get(group_key(group), GroupPolicy(group))
    box = group_key(group)
    seed_policy_boxes(
        box,
        {
            "models": ", ".join(current.models or ()),
            "requests_per_minute": current.limits.requests_per_minute,
            "tokens_per_day": current.limits.tokens_per_day,
            "cost_per_month_usd": current.limits.cost_per_month_usd,
        },
    )
    with st.form(policy_form_key(box), border=True):
        st.caption(
            "Models: ids or patterns such as gpt-4o* separated by commas, * for any; empty: the group "
            "names no models. Limits: empty is not set by the group, 0 is no limit."
        )
        models = st.text_input(
            "Models allowed", key=policy_key("models", box), placeholder="e.g. gpt-4o-mini, o4-*"
        )
        boxes = st.columns(3)
        rpm = boxes[0].number_input(
            "Requests per minute", min_value=0, step=1, value=None, key=policy_key("requests_per_minute", box)
        )
        tokens = boxes[1].number_input(
            "Tokens per day", min_value=0, step=1_000, value=None, key=policy_key("tokens_per_day", box)
        )
        cost = boxes[2].number_input(
            "Cost per month (USD)",
            min_value=0.0,
            step=1.0,
            format="%.2f",
            value=None,
            key=policy_key("cost_per_month_usd", box),
        )
        if st.form_submit_button("Save policy", key=POLICY_SAVE, icon=":material/save:"):
            try:
                patterns = parse_patterns(str(models or ""), "Models allowed")
            except ValueError as exc:
                st.error(f"The policy was not saved: {literal(exc)}", icon=":material/error:")
                return
            limits = Limits(
                None if rpm is None else int(rpm),
                None if tokens is None else int(tokens),
                None if cost is None else float(cost),
            )
            policy = GroupPolicy(group, patterns or None, limits, "admin")
            _apply(
                store,
                GroupPolicySaved(policy),
                admin,
                f"Policy saved for {group}: {describe_policy(policy)}.",
            )
    if current.source == "admin" and st.button(
        "Remove this policy (back to the settings)", key=POLICY_REMOVE, icon=":material/undo:"
    ):
        for field in ("models", "requests_per_minute", "tokens_per_day", "cost_per_month_usd"):
            st.session_state.pop(policy_key(field, box), None)  # refilled from the settings' policy
        _apply(store, GroupPolicyRemoved(group), admin, f"The policy saved for {group} was removed.")


def _apply(store: RunStore, change: PolicyChange, admin: Admin, done: str) -> None:
    if save_or_say(store, change, admin, "The policy was"):
        announce_saved(done, POLICY_SAVED)
        st.rerun()  # the tables above show the policy in force


def save_or_say(store: RunStore, change: PolicyChange, admin: Admin, what: str) -> bool:
    """Save an admin's change (a group's policy, a person's limits); False, with the reason said
    on the page, when it was not saved. `what` starts the message: "The policy was"."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        save_change(store, change, by=admin.email or admin.user_id)
    except ValueError as exc:
        st.error(f"{literal(what)} not saved: {literal(exc)}", icon=":material/error:")
        return False
    except (SQLAlchemyError, StorageUnavailable) as exc:
        st.error(
            f"{literal(what)} not saved: the database failed ({literal(type(exc).__name__)}). "
            "Try again shortly.",
            icon=":material/database:",
        )
        return False
    return True
