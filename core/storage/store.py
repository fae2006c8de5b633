"""Conversations of one user: every query is scoped to that user's id."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from sqlalchemy import Engine, delete, func, or_, select, update
from sqlalchemy.orm import Session

from core.branches import ConversationTree
from core.compare import Vote
from core.conversation import ChatParams, Message
from core.storage.codec import fill_row, image_rows, message_from_row, now, params_from_dict, params_to_dict
from core.storage.schema import ConversationRow, ImageRow, MessageRow, UserRow, VoteRow

TITLE_LENGTH = 60
NEW_TITLE = "New chat"


@dataclass(frozen=True)
class ConversationInfo:
    """A line of the library."""

    id: str
    title: str
    pinned: bool
    created_at: datetime
    updated_at: datetime


@dataclass
class StoredConversation:
    info: ConversationInfo
    params: ChatParams
    tree: ConversationTree


class NotFound(LookupError):
    """No such conversation for this user (it may belong to someone else, or be deleted)."""


def title_from(text: str) -> str:
    """The first line of the first message, shortened on a word boundary."""
    line = " ".join(text.split())
    if not line:
        return NEW_TITLE
    if len(line) <= TITLE_LENGTH:
        return line
    cut = line[:TITLE_LENGTH].rsplit(" ", 1)[0] or line[:TITLE_LENGTH]
    return cut + "…"


def _info(row: ConversationRow) -> ConversationInfo:
    return ConversationInfo(row.id, row.title, row.pinned, row.created_at, row.updated_at)


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class ConversationStore:
    """The conversations, messages and votes of `user_id`, and nobody else's."""

    def __init__(self, engine: Engine, user_id: str) -> None:
        self.engine = engine
        self.user_id = user_id
        with Session(engine) as session, session.begin():
            if session.get(UserRow, user_id) is None:
                session.add(UserRow(id=user_id, created_at=now()))

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def _own(self, session: Session, conversation_id: str) -> ConversationRow:
        row = session.get(ConversationRow, conversation_id)
        if row is None or row.user_id != self.user_id:
            raise NotFound(conversation_id)
        return row

    # -- conversations ----------------------------------------------------------------------

    def _new_row(self, title: str, params: ChatParams, leaf_id: str | None = None) -> ConversationRow:
        return ConversationRow(
            id=uuid4().hex,
            user_id=self.user_id,
            title=title[:200] or NEW_TITLE,
            pinned=False,
            params=params_to_dict(params),
            leaf_id=leaf_id,
            created_at=now(),
            updated_at=now(),
        )

    def create(self, params: ChatParams, title: str = NEW_TITLE) -> str:
        row = self._new_row(title, params)
        with self._session() as session, session.begin():
            session.add(row)
        return row.id

    def conversations(self, search: str = "", limit: int = 200) -> list[ConversationInfo]:
        """Pinned first, then most recently active; `search` matches titles and message text."""
        query = select(ConversationRow).where(ConversationRow.user_id == self.user_id)
        if search.strip():
            pattern = _like(search.strip().lower())
            in_messages = select(MessageRow.conversation_id).where(
                func.lower(MessageRow.text).like(pattern, escape="\\")
            )
            query = query.where(
                or_(
                    func.lower(ConversationRow.title).like(pattern, escape="\\"),
                    ConversationRow.id.in_(in_messages),
                )
            )
        query = query.order_by(ConversationRow.pinned.desc(), ConversationRow.updated_at.desc()).limit(limit)
        with self._session() as session:
            return [_info(row) for row in session.scalars(query)]

    def info(self, conversation_id: str) -> ConversationInfo:
        with self._session() as session:
            return _info(self._own(session, conversation_id))

    def rename(self, conversation_id: str, title: str) -> None:
        clean = " ".join(title.split())[:200]
        if not clean:
            raise ValueError("A title cannot be empty.")
        with self._session() as session, session.begin():
            self._own(session, conversation_id).title = clean

    def set_pinned(self, conversation_id: str, pinned: bool) -> None:
        with self._session() as session, session.begin():
            self._own(session, conversation_id).pinned = pinned

    def set_params(self, conversation_id: str, params: ChatParams) -> None:
        with self._session() as session, session.begin():
            self._own(session, conversation_id).params = params_to_dict(params)

    def delete(self, conversation_id: str) -> None:
        with self._session() as session, session.begin():
            row = self._own(session, conversation_id)
            message_ids = select(MessageRow.id).where(MessageRow.conversation_id == row.id)
            session.execute(delete(ImageRow).where(ImageRow.message_id.in_(message_ids)))
            session.execute(delete(MessageRow).where(MessageRow.conversation_id == row.id))
            session.delete(row)

    # -- messages ---------------------------------------------------------------------------

    def save_message(self, conversation_id: str, message: Message, params: ChatParams | None = None) -> None:
        """Insert or update one message and show its path; a first prompt titles the chat."""
        with self._session() as session, session.begin():
            conversation = self._own(session, conversation_id)
            row = session.get(MessageRow, message.id)
            if row is not None and row.conversation_id != conversation_id:
                raise NotFound(message.id)
            if row is None:
                last = session.scalar(
                    select(func.max(MessageRow.seq)).where(MessageRow.conversation_id == conversation_id)
                )
                row = MessageRow(
                    id=message.id,
                    conversation_id=conversation_id,
                    seq=(last or 0) + 1,
                    created_at=now(),
                )
                fill_row(row, message, params)
                session.add(row)
                session.flush()  # the row before its images: no ORM relationship orders them
                session.add_all(image_rows(message))
                if conversation.title == NEW_TITLE and message.role == "user":
                    conversation.title = title_from(message.text or "Images")
            else:
                fill_row(row, message, params)
            conversation.leaf_id = message.id
            conversation.updated_at = now()
            if params is not None:
                conversation.params = params_to_dict(params)

    def add_conversation(self, title: str, params: ChatParams, tree: ConversationTree) -> str:
        """A whole conversation (an import) in one transaction: all of it or nothing."""
        conversation = self._new_row(title, params, tree.leaf_id)
        with self._session() as session, session.begin():
            session.add(conversation)
            for seq, message in enumerate(tree.messages.values(), start=1):
                row = MessageRow(id=message.id, conversation_id=conversation.id, seq=seq, created_at=now())
                fill_row(row, message, None)
                session.add(row)
            session.flush()
            for message in tree.messages.values():
                session.add_all(image_rows(message))
        return conversation.id

    def show_leaf(self, conversation_id: str, leaf_id: str | None) -> None:
        with self._session() as session, session.begin():
            self._own(session, conversation_id).leaf_id = leaf_id

    def delete_messages(
        self, conversation_id: str, message_ids: list[str], reparented: list[Message]
    ) -> None:
        """Remove messages; `reparented` are kept messages whose parent changed."""
        with self._session() as session, session.begin():
            self._own(session, conversation_id)
            mine = MessageRow.conversation_id == conversation_id
            session.execute(delete(ImageRow).where(ImageRow.message_id.in_(message_ids)))
            session.execute(delete(MessageRow).where(mine, MessageRow.id.in_(message_ids)))
            for message in reparented:
                session.execute(
                    update(MessageRow)
                    .where(mine, MessageRow.id == message.id)
                    .values(parent_id=message.parent_id)
                )

    def load(self, conversation_id: str) -> StoredConversation:
        with self._session() as session:
            conversation = self._own(session, conversation_id)
            rows = session.scalars(
                select(MessageRow)
                .where(MessageRow.conversation_id == conversation_id)
                .order_by(MessageRow.seq)
            ).all()
            images: dict[str, list[ImageRow]] = defaultdict(list)
            for image in session.scalars(
                select(ImageRow).join(MessageRow).where(MessageRow.conversation_id == conversation_id)
            ):
                images[image.message_id].append(image)
            messages = [message_from_row(row, images[row.id]) for row in rows]
            return StoredConversation(
                _info(conversation),
                params_from_dict(conversation.params),
                ConversationTree.of(messages, conversation.leaf_id),
            )

    # -- compare votes ----------------------------------------------------------------------

    def record_vote(self, prompt: str, vote: Vote) -> None:
        with self._session() as session, session.begin():
            session.add(
                VoteRow(
                    user_id=self.user_id,
                    prompt=prompt,
                    models=list(vote.models),
                    winner=vote.winner,
                    created_at=now(),
                )
            )

    def votes(self) -> list[Vote]:
        query = select(VoteRow).where(VoteRow.user_id == self.user_id).order_by(VoteRow.id)
        with self._session() as session:
            return [Vote(tuple(row.models), row.winner) for row in session.scalars(query)]
