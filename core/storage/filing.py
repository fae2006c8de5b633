"""Folders and feedback inside a transaction that is already open: what a new folder, a verdict on
an answer or an import of either writes, written once for the stores that share it."""

from __future__ import annotations

from collections.abc import Mapping
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.feedback import Feedback
from core.folders import clean_folder_name, folder_key
from core.storage.codec import now
from core.storage.schema import FeedbackRow, FolderRow


def user_folders(session: Session, user_id: str) -> list[FolderRow]:
    """The person's folders, by name."""
    query = select(FolderRow).where(FolderRow.user_id == user_id).order_by(FolderRow.name_key)
    return list(session.scalars(query))


def new_folder(session: Session, user_id: str, name: str) -> FolderRow:
    """A folder added to the session, its name checked against the person's other folders."""
    clean = clean_folder_name(name, [row.name for row in user_folders(session, user_id)])
    row = FolderRow(id=uuid4().hex, user_id=user_id, name=clean, name_key=folder_key(clean), created_at=now())
    session.add(row)
    return row


def folder_named(session: Session, user_id: str, name: str) -> str:
    """The id of the person's folder called `name` (whatever its case), created when there is
    none: an imported file names its folder."""
    key = folder_key(name)
    existing = next((row for row in user_folders(session, user_id) if row.name_key == key), None)
    if existing is not None:
        return existing.id
    return new_folder(session, user_id, name).id  # FolderNameRejected for a name that is not one


def put_feedback(session: Session, user_id: str, message_id: str, feedback: Feedback) -> None:
    """Insert or replace the person's verdict on the answer `message_id` (checked by the caller)."""
    row = session.get(FeedbackRow, (message_id, user_id))
    if row is None:
        row = FeedbackRow(message_id=message_id, user_id=user_id, created_at=now())
        session.add(row)
    row.rating = feedback.rating
    row.comment = feedback.comment
    row.updated_at = now()


def put_all_feedback(session: Session, user_id: str, feedback: Mapping[str, Feedback]) -> None:
    """Every verdict of an import, once its messages are in the session (flushed)."""
    for message_id, verdict in feedback.items():
        put_feedback(session, user_id, message_id, verdict)
