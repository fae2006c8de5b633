"""The one place a change to who may use what is saved: a person's limits override or a group's
policy, from the Admin page; each saved change goes into the audit log. Draws nothing."""

from __future__ import annotations

from components.plumbing.storage import RunStore
from core.audit import LIMITS_CHANGED, POLICY_REMOVED, POLICY_SAVED
from core.limits import LIMIT_NAMES, Limits
from core.policies import GroupPolicyRemoved, GroupPolicySaved, PersonLimitsChange, PolicyChange


class StorageUnavailable(RuntimeError):
    """The database cannot be reached, so nothing was saved."""


def save_change(store: RunStore, change: PolicyChange, by: str) -> None:
    """Save `change`, made by the admin `by` (their email or user id). Raises ValueError for a
    value that cannot be stored (the message says why), StorageUnavailable without a database,
    and SQLAlchemy's errors when the database fails."""
    if isinstance(change, PersonLimitsChange):
        usage = store.usage()
        if usage is None:
            raise StorageUnavailable("the database is not reachable")
        usage.set_limits(change.user_id, change.override, by=by)
        store.record(LIMITS_CHANGED, change.user_id, **_limit_figures(change.override))
        return
    policies = store.policies()
    if policies is None:
        raise StorageUnavailable("the database is not reachable")
    if isinstance(change, GroupPolicySaved):
        policies.save(change.policy, by)
        store.record(
            POLICY_SAVED,
            change.policy.group,
            models=None if change.policy.models is None else len(change.policy.models),
            **_limit_figures(change.policy.limits),
        )
    elif isinstance(change, GroupPolicyRemoved):
        policies.remove(change.group)
        store.record(POLICY_REMOVED, change.group)


def _limit_figures(limits: Limits) -> dict[str, int | float | None]:
    return {name: getattr(limits, name) for name in LIMIT_NAMES}
