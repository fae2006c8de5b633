"""Folders of one user: create, rename, delete (its conversations move out, nothing is lost) and
file a conversation or comparison in one. Every query is scoped to the user; someone else's
folder or conversation reads exactly like a missing one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.folders import clean_folder_name, folder_key, name_taken
from core.missing import NotFound
from core.storage.conversation_store import UserScoped
from core.storage.filing import new_folder, user_folders
from core.storage.schema import ConversationRow, FolderRow


@dataclass(frozen=True)
class FolderInfo:
    """A folder as the library shows it."""

    id: str
    name: str
    count: int  # conversations and comparisons filed in it


class FolderStore(UserScoped):
    """The folders of `user_id`, and nobody else's (the user's row must exist already)."""

    def folders(self) -> list[FolderInfo]:
        """Every folder of the person, by name, with how many conversations each holds."""
        counts = (
            select(ConversationRow.folder_id, func.count())
            .where(ConversationRow.user_id == self.user_id, ConversationRow.folder_id.is_not(None))
            .group_by(ConversationRow.folder_id)
        )
        with self._session() as session:
            filed = {folder_id: count for folder_id, count in session.execute(counts)}
            rows = user_folders(session, self.user_id)
            return [FolderInfo(row.id, row.name, filed.get(row.id, 0)) for row in rows]

    def create(self, name: str) -> str:
        """A new folder; its id. FolderNameRejected says what is wrong with the name."""
        with self._writing() as session, session.begin():
            row = new_folder(session, self.user_id, name)
            self._flush_unique(session, row.name)
            return row.id

    def rename(self, folder_id: str, name: str) -> None:
        """Give one of the person's folders another name (checked as a new one is)."""
        with self._writing() as session, session.begin():
            row = self._folder(session, folder_id)
            others = [other.name for other in user_folders(session, self.user_id) if other.id != folder_id]
            row.name = clean_folder_name(name, others)
            row.name_key = folder_key(row.name)
            self._flush_unique(session, row.name)

    def delete(self, folder_id: str) -> None:
        """Remove a folder; what was filed in it is kept, in no folder."""
        with self._writing() as session, session.begin():
            row = self._folder(session, folder_id)
            session.execute(
                update(ConversationRow)
                .where(ConversationRow.user_id == self.user_id, ConversationRow.folder_id == folder_id)
                .values(folder_id=None)
            )
            session.delete(row)

    def file(self, conversation_id: str, folder_id: str | None) -> None:
        """Put one of the person's conversations or comparisons in a folder (None: in no folder)."""
        with self._writing() as session, session.begin():
            conversation = self._own(session, conversation_id)
            if folder_id is not None:
                self._folder(session, folder_id)
            conversation.folder_id = folder_id

    def _folder(self, session: Session, folder_id: str) -> FolderRow:
        row = session.get(FolderRow, folder_id)
        if row is None or row.user_id != self.user_id:
            raise NotFound(folder_id)
        return row

    @staticmethod
    def _flush_unique(session: Session, name: str) -> None:
        # Two tabs creating the same name at once both pass the check; the unique index stops one.
        try:
            session.flush()
        except IntegrityError:
            raise name_taken(name) from None
