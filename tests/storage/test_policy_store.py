"""Group policies saved on the Admin page and each person's groups, on SQLite and PostgreSQL: what
one replica saves, another (its own engine on the same database) reads."""

from __future__ import annotations

import pytest

from core.policies import GroupPolicy
from core.quotas import Limits
from core.storage import find_user, migrate, upsert_user
from core.storage.policy_store import PolicyStore
from tests.storage.conftest import twin


@pytest.fixture
def policies(engine) -> PolicyStore:
    migrate(engine)
    return PolicyStore(engine)


def test_a_saved_policy_is_read_back_by_another_replica_and_replaced_by_the_next_save(policies, engine):
    policies.save(GroupPolicy("Interns", ("gpt-4o-mini", "o4-*"), Limits(5, None, 0)), by="root@example.com")
    other = twin(engine)
    try:
        assert PolicyStore(other).saved() == [
            GroupPolicy("Interns", ("gpt-4o-mini", "o4-*"), Limits(5, None, 0), "admin")
        ]
        # The same group in another case is the same group: its policy is replaced, not doubled.
        policies.save(GroupPolicy("interns", None, Limits(None, 2_000, 12.5)), by="root@example.com")
        assert PolicyStore(other).saved() == [
            GroupPolicy("interns", None, Limits(None, 2_000, 12.5), "admin")
        ]
    finally:
        other.dispose()


def test_removing_a_policy_forgets_it(policies):
    policies.save(GroupPolicy("research", ("*",)), by=None)
    policies.save(GroupPolicy("interns", ("o4-mini",)), by=None)
    assert policies.remove("RESEARCH") is True
    assert [policy.group for policy in policies.saved()] == ["interns"]
    assert policies.remove("research") is False


def test_a_policy_with_a_negative_limit_or_no_group_is_refused(policies):
    with pytest.raises(ValueError, match="cannot be negative"):
        policies.save(GroupPolicy("interns", None, Limits(-1)), by=None)
    with pytest.raises(ValueError, match="Name the group"):
        policies.save(GroupPolicy("  ", ("*",)), by=None)
    assert policies.saved() == []


def test_a_persons_groups_are_kept_from_their_last_sign_in(engine):
    migrate(engine)

    def sign_in(groups: tuple[str, ...] | None) -> None:
        upsert_user(
            engine, "oidc-ann", email="ann@example.com", name="Ann", issuer="i", subject="ann", groups=groups
        )

    sign_in(("research", "interns"))
    assert find_user(engine, "oidc-ann").groups == ("research", "interns")  # type: ignore[union-attr]
    sign_in(None)  # no groups said: kept
    assert find_user(engine, "oidc-ann").groups == ("research", "interns")  # type: ignore[union-attr]
    sign_in(())
    assert find_user(engine, "oidc-ann").groups == ()  # type: ignore[union-attr]
