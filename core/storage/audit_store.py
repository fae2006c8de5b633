"""The audit log in the database: entries are added and read, never changed or removed (the
migration also makes the database refuse an UPDATE or DELETE of a row)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core.audit import SIGN_IN, AuditEntry, AuditFilter, Detail, checked_action, checked_details
from core.storage.codec import clip, now
from core.storage.engine import writer
from core.storage.schema import AuditRow, max_length
from core.utc import as_utc

LIST_LIMIT = 100_000


def _entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        row.id,
        as_utc(row.at),
        row.actor_id,
        row.actor,
        row.action,
        row.subject,
        row.origin,
        row.details or {},
    )


class AuditStore:
    """Everyone's audit entries: any part of the app records what a person did; the Admin page
    reads them."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(
        self,
        action: str,
        *,
        actor_id: str | None,
        actor: str | None = None,
        subject: str | None = None,
        origin: str | None = None,
        details: Mapping[str, Detail] | None = None,
        at: datetime | None = None,
    ) -> AuditEntry:
        """Add one entry (at `at`, else now); AuditRefused for a malformed action or details
        that are not figures, flags or short names."""
        row = AuditRow(
            at=at or now(),
            actor_id=actor_id,
            actor=clip(actor, max_length(AuditRow.actor)),
            action=checked_action(action),
            subject=clip(subject, max_length(AuditRow.subject)),
            origin=clip(origin, max_length(AuditRow.origin)),
            details=checked_details(details) or None,
        )
        with Session(writer(self.engine), expire_on_commit=False) as session, session.begin():
            session.add(row)
        return _entry(row)

    def entries(self, wanted: AuditFilter | None = None, limit: int = LIST_LIMIT) -> list[AuditEntry]:
        """The entries `wanted` picks (all, without one), newest first, at most `limit`."""
        wanted = wanted or AuditFilter()
        query = select(AuditRow)
        if wanted.actor_id is not None:
            query = query.where(AuditRow.actor_id == wanted.actor_id)
        if wanted.action is not None:
            query = query.where(AuditRow.action == wanted.action)
        if wanted.since is not None:
            query = query.where(AuditRow.at >= wanted.since)
        if wanted.until is not None:
            query = query.where(AuditRow.at < wanted.until)
        query = query.order_by(AuditRow.at.desc(), AuditRow.id.desc()).limit(limit)
        with Session(self.engine) as session:
            return [_entry(row) for row in session.scalars(query)]

    def actions(self) -> list[str]:
        """Every action the log holds, by name."""
        with Session(self.engine) as session:
            return sorted(session.scalars(select(AuditRow.action).distinct()))

    def latest(self, action: str) -> datetime | None:
        """When `action` was last recorded, or None."""
        with Session(self.engine) as session:
            found = session.scalar(select(func.max(AuditRow.at)).where(AuditRow.action == action))
        return None if found is None else as_utc(found)

    def sign_ins(self) -> dict[str, tuple[datetime, datetime]]:
        """Each person's first and latest sign-in the log holds, by their id."""
        query = (
            select(AuditRow.actor_id, func.min(AuditRow.at), func.max(AuditRow.at))
            .where(AuditRow.action == SIGN_IN, AuditRow.actor_id.is_not(None))
            .group_by(AuditRow.actor_id)
        )
        with Session(self.engine) as session:
            rows = session.execute(query)
            return {str(actor): (as_utc(first), as_utc(last)) for actor, first, last in rows}
