"""Prompt sets of one user: every query is scoped to that user's id, and someone else's set reads
exactly like a missing one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from core.prompt_sets import PromptSet, items_from_data, items_to_data
from core.storage.codec import now
from core.storage.conversation_store import NotFound
from core.storage.engine import writer
from core.storage.schema import PromptSetRow


@dataclass(frozen=True)
class PromptSetInfo:
    """A line of the prompt set picker."""

    id: str
    name: str
    prompts: int
    updated_at: datetime


class PromptSetStore:
    """The prompt sets of `user_id`, and nobody else's (the user's row must exist already)."""

    def __init__(self, engine: Engine, user_id: str) -> None:
        self.engine = engine
        self.user_id = user_id
        self._writer = writer(engine)

    def _own(self, session: Session, set_id: str) -> PromptSetRow:
        row = session.get(PromptSetRow, set_id)
        if row is None or row.user_id != self.user_id:
            raise NotFound(set_id)
        return row

    def sets(self) -> list[PromptSetInfo]:
        """Every set of the user, by name."""
        query = select(PromptSetRow).where(PromptSetRow.user_id == self.user_id).order_by(PromptSetRow.name)
        with Session(self.engine) as session:
            return [PromptSetInfo(r.id, r.name, len(r.items), r.updated_at) for r in session.scalars(query)]

    def load(self, set_id: str) -> PromptSet:
        """One set with its prompts and images."""
        with Session(self.engine) as session:
            row = self._own(session, set_id)
            return PromptSet(row.name, items_from_data(row.items), row.id)

    def save(self, prompt_set: PromptSet) -> str:
        """Insert a new set (no id) or replace the prompts and name of the user's set; its id."""
        with Session(self._writer, expire_on_commit=False) as session, session.begin():
            if prompt_set.id is None:
                row = PromptSetRow(id=uuid4().hex, user_id=self.user_id, created_at=now())
                session.add(row)
            else:
                row = self._own(session, prompt_set.id)
            row.name = prompt_set.name[:200]
            row.items = items_to_data(prompt_set.items)
            row.updated_at = now()
            return row.id

    def delete(self, set_id: str) -> None:
        """Remove one of the user's sets."""
        with Session(self._writer) as session, session.begin():
            session.delete(self._own(session, set_id))
