"""The one place a change to who may use what is saved: a person's limits override or a group's
policy, from the Admin page. Anything that must hear of such a change (a record of who changed
what) hooks in here. Draws nothing."""

from __future__ import annotations

from components.plumbing.storage import RunStore
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
        return
    policies = store.policies()
    if policies is None:
        raise StorageUnavailable("the database is not reachable")
    if isinstance(change, GroupPolicySaved):
        policies.save(change.policy, by)
    elif isinstance(change, GroupPolicyRemoved):
        policies.remove(change.group)
