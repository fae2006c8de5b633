"""Group policies an admin saved on the Admin page, shared by every replica through the database.
Each replaces the settings' policy for its group (core.policies says how policies combine)."""

from __future__ import annotations

from sqlalchemy import Engine, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.limits import LIMIT_NAMES, Limits
from core.policies import GroupPolicy, group_key
from core.storage.codec import clip, now
from core.storage.engine import writer
from core.storage.schema import GroupPolicyRow, max_length

ADMIN = "admin"  # GroupPolicy.source of a policy saved here


def _policy(row: GroupPolicyRow) -> GroupPolicy:
    models = None if row.models is None else tuple(str(pattern) for pattern in row.models)
    limits = Limits(row.requests_per_minute, row.tokens_per_day, row.cost_per_month_usd)
    return GroupPolicy(row.name, models, limits, ADMIN)


class PolicyStore:
    """Every group policy saved on the Admin page (the caller decides who may change them)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._writer = writer(engine)
        self._postgres = engine.dialect.name == "postgresql"

    def saved(self) -> list[GroupPolicy]:
        """Every saved policy, by group."""
        query = select(GroupPolicyRow).order_by(GroupPolicyRow.group_key)
        with Session(self.engine) as session:
            return [_policy(row) for row in session.scalars(query)]

    def save(self, policy: GroupPolicy, by: str | None) -> None:
        """Store `policy` for its group, in place of any saved before (and of the settings' one)."""
        name = policy.group.strip()
        if not name:
            raise ValueError("Name the group the policy is for.")
        for limit in LIMIT_NAMES:
            value = getattr(policy.limits, limit)
            if value is not None and value < 0:
                raise ValueError(f"{limit.replace('_', ' ')} cannot be negative (0 means no limit).")
        key_length = max_length(GroupPolicyRow.group_key) or 200
        if len(group_key(name)) > key_length:
            raise ValueError(f"A group's name can be at most {key_length} characters.")
        values = {
            "name": name,
            "models": None if policy.models is None else list(policy.models),
            "requests_per_minute": policy.limits.requests_per_minute,
            "tokens_per_day": policy.limits.tokens_per_day,
            "cost_per_month_usd": policy.limits.cost_per_month_usd,
            "updated_at": now(),
            "updated_by": clip(by, max_length(GroupPolicyRow.updated_by)),
        }
        dialect = postgresql if self._postgres else sqlite
        statement = dialect.insert(GroupPolicyRow).values(group_key=group_key(name), **values)
        statement = statement.on_conflict_do_update(index_elements=[GroupPolicyRow.group_key], set_=values)
        with Session(self._writer) as session, session.begin():
            session.execute(statement)

    def remove(self, group: str) -> bool:
        """Forget the saved policy of `group` (the settings' one, if any, applies again); False when
        none was saved."""
        with Session(self._writer) as session, session.begin():
            result = session.execute(
                delete(GroupPolicyRow).where(GroupPolicyRow.group_key == group_key(group))
            )
            return bool(getattr(result, "rowcount", 0))
