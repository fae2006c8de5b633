"""Feedback on answers: each person's own verdicts, scoped to their answers (someone else's answer
reads exactly like a missing one), and everyone's, read for the Admin page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from core.feedback import Feedback, FeedbackRecord, Rating
from core.missing import NotFound
from core.storage.conversation_store import UserScoped
from core.storage.filing import put_feedback
from core.storage.schema import FeedbackRow, MessageRow
from core.utc import as_utc


class FeedbackStore(UserScoped):
    """The verdicts of `user_id` on the answers in their conversations and comparisons."""

    def rate(self, message_id: str, feedback: Feedback | None) -> None:
        """Store the person's verdict on one of their answers; None removes it (and its comment)."""
        with self._writing() as session, session.begin():
            message = session.get(MessageRow, message_id)
            if message is None or message.role != "assistant":
                raise NotFound(message_id)
            self._own(session, message.conversation_id)  # NotFound for someone else's answer
            if feedback is None:
                session.execute(
                    delete(FeedbackRow).where(
                        FeedbackRow.message_id == message_id, FeedbackRow.user_id == self.user_id
                    )
                )
            else:
                put_feedback(session, self.user_id, message_id, feedback)

    def of_conversation(self, conversation_id: str) -> dict[str, Feedback]:
        """The person's verdicts on the answers of one conversation or comparison, by answer id."""
        query = (
            select(FeedbackRow)
            .join(MessageRow, MessageRow.id == FeedbackRow.message_id)
            .where(MessageRow.conversation_id == conversation_id, FeedbackRow.user_id == self.user_id)
        )
        with self._session() as session:
            self._own(session, conversation_id)
            return {row.message_id: _feedback(row) for row in session.scalars(query)}


def _feedback(row: FeedbackRow) -> Feedback:
    rating: Rating = "up" if row.rating == "up" else "down"
    return Feedback(rating, row.comment or "")


def feedback_since(engine: Engine, since: datetime) -> list[FeedbackRecord]:
    """Everyone's verdicts given or changed since `since`, newest first, with the answer's model
    (the team's report on the Admin page)."""
    query = (
        select(FeedbackRow, MessageRow.model)
        .join(MessageRow, MessageRow.id == FeedbackRow.message_id)
        .where(FeedbackRow.updated_at >= since)
        .order_by(FeedbackRow.updated_at.desc())
    )
    with Session(engine) as session:
        return [
            FeedbackRecord(
                row.user_id,
                model or "(unknown model)",
                _feedback(row).rating,
                row.comment or "",
                as_utc(row.updated_at),
                row.message_id,
            )
            for row, model in session.execute(query)
        ]
