"""Presets as one person sees them: their own (every query scoped to their id, someone else's
answering exactly like a missing one) and the published ones, which everyone reads and only an
admin changes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import uuid4

from sqlalchemy import Engine, or_, select
from sqlalchemy.orm import Session

from core.missing import NotFound
from core.presets import NotAllowed, Preset, may_edit, preset_from_data, preset_to_data
from core.safe_text import one_line
from core.storage.codec import now
from core.storage.engine import writer
from core.storage.schema import PresetRow


@dataclass(frozen=True)
class PresetInfo:
    """A line of a preset list."""

    id: str
    name: str
    published: bool
    editable: bool  # by the person asking
    mine: bool


class PresetStore:
    """The presets `user_id` may use: their own and the published ones (the user's row must
    exist already). `is_admin` decides who publishes and changes published presets."""

    def __init__(self, engine: Engine, user_id: str, is_admin: bool = False) -> None:
        self.engine = engine
        self.user_id = user_id
        self.is_admin = is_admin
        self._writer = writer(engine)

    def _visible(self, session: Session, preset_id: str) -> PresetRow:
        row = session.get(PresetRow, preset_id)
        if row is None or not (row.published or row.user_id == self.user_id):
            raise NotFound(preset_id)
        return row

    def _editable(self, session: Session, preset_id: str) -> PresetRow:
        row = self._visible(session, preset_id)
        if not may_edit(row.published, row.user_id == self.user_id, self.is_admin):
            raise NotAllowed(
                f"“{row.name}” is published for everyone: only an admin can change or delete it. "
                "Save a copy under another name to make it your own."
            )
        return row

    def _info(self, row: PresetRow) -> PresetInfo:
        mine = row.user_id == self.user_id
        return PresetInfo(row.id, row.name, row.published, may_edit(row.published, mine, self.is_admin), mine)

    def own(self) -> list[PresetInfo]:
        """The person's presets not published, by name."""
        query = (
            select(PresetRow)
            .where(PresetRow.user_id == self.user_id, PresetRow.published.is_(False))
            .order_by(PresetRow.name, PresetRow.created_at)
        )
        with Session(self.engine) as session:
            return [self._info(row) for row in session.scalars(query)]

    def published(self) -> list[PresetInfo]:
        """Every published preset, whoever published it, by name."""
        query = select(PresetRow).where(PresetRow.published.is_(True)).order_by(PresetRow.name)
        with Session(self.engine) as session:
            return [self._info(row) for row in session.scalars(query)]

    def everything(self) -> list[Preset]:
        """Every preset the person may use (their own, then the published), in full: for export."""
        query = (
            select(PresetRow)
            .where(or_(PresetRow.user_id == self.user_id, PresetRow.published.is_(True)))
            .order_by(PresetRow.published, PresetRow.name)
        )
        with Session(self.engine) as session:
            return [_preset(row) for row in session.scalars(query)]

    def load(self, preset_id: str) -> Preset:
        """One preset the person may use."""
        with Session(self.engine) as session:
            return _preset(self._visible(session, preset_id))

    def save(self, preset: Preset) -> str:
        """Insert a new preset of the person's (no id; never published) or replace one they may
        edit; its id. NotAllowed for a published preset and someone who is not an admin."""
        with Session(self._writer, expire_on_commit=False) as session, session.begin():
            if preset.id is None:
                row = self._new_row()
                session.add(row)
            else:
                row = self._editable(session, preset.id)
            _fill(row, preset)
            return row.id

    def add_all(self, presets: Sequence[Preset]) -> list[str]:
        """Add new presets of the person's (an import) in one transaction: all or none; their ids."""
        with Session(self._writer, expire_on_commit=False) as session, session.begin():
            rows = []
            for preset in presets:
                row = self._new_row()
                _fill(row, preset)
                rows.append(row)
            session.add_all(rows)
            return [row.id for row in rows]

    def _new_row(self) -> PresetRow:
        return PresetRow(id=uuid4().hex, user_id=self.user_id, published=False, created_at=now())

    def delete(self, preset_id: str) -> None:
        """Remove a preset the person may edit."""
        with Session(self._writer) as session, session.begin():
            session.delete(self._editable(session, preset_id))

    def publish(self, preset_id: str, published: bool = True) -> None:
        """Make a preset everyone's to use, or take it back (admins only: NotAllowed otherwise)."""
        if not self.is_admin:
            raise NotAllowed("Only an admin can publish a preset for everyone or take one back.")
        with Session(self._writer) as session, session.begin():
            row = self._visible(session, preset_id)
            row.published = published
            row.updated_at = now()


def _fill(row: PresetRow, preset: Preset) -> None:
    row.name = one_line(preset.name)[:200] or "Preset"
    row.body = preset_to_data(preset)
    row.updated_at = now()


def _preset(row: PresetRow) -> Preset:
    return preset_from_data(row.name, row.body, row.id, row.published)
