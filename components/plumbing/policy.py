"""What the signed-in person may use this run: their models and limits from their groups'
policies (the settings' ones, with those saved on the Admin page in their place), read once per
run and asked by the model pickers, admission and the allowance in the sidebar. Draws nothing."""

from __future__ import annotations

from components.plumbing import identity as identity_door
from components.plumbing.storage import RunStore, safely
from core.identity import Identity
from core.policies import Allowance, GroupPolicy, allowance, policies_in_force, settings_policies
from core.quotas import Limits, default_limits
from core.settings import Settings

_POLICIES = "policy.in_force"  # RunStore.memo's key: the policies read once per run


def group_policies(settings: Settings, store: RunStore) -> dict[str, GroupPolicy]:
    """Every group's policy in force, by group key. While the database is unreachable, the
    settings' policies alone (those saved on the Admin page cannot be read)."""

    def read() -> dict[str, GroupPolicy]:
        policies = store.policies()
        saved = safely(policies.saved) if policies is not None else None
        from_settings = settings_policies(settings.group_models, settings.group_limits)
        return policies_in_force(from_settings, saved or [])

    return store.memo(_POLICIES, read)


def allowance_of(
    settings: Settings, store: RunStore, user: Identity | None, override: Limits | None = None
) -> Allowance:
    """What `user` may use: their groups' models and the limits below their own `override`. A
    person in no group asks no database (no saved policy can be theirs)."""
    groups = user.groups if user is not None else ()
    policies = group_policies(settings, store) if groups else {}
    return allowance(groups, policies, settings.default_models_allowed, default_limits(settings), override)


def current_allowance(settings: Settings, store: RunStore) -> Allowance:
    """The signed-in person's models and limits (before their own override)."""
    return allowance_of(settings, store, identity_door.current_identity(settings))
