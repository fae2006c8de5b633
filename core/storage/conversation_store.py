"""Conversations of one user: every query is scoped to that user's id."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from sqlalchemy import (
    ColumnElement,
    Engine,
    Select,
    column,
    delete,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.branches import ConversationTree
from core.compare import Vote
from core.conversation import ChatParams, Message
from core.missing import NotFound
from core.safe_text import one_line
from core.storage.codec import (
    clip,
    fill_row,
    image_rows,
    message_from_row,
    now,
    params_from_dict,
    params_to_dict,
)
from core.storage.engine import writer
from core.storage.schema import (
    MESSAGES_FTS,
    ConversationRow,
    ImageRow,
    MessageRow,
    UserRow,
    VoteRow,
    max_length,
)

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
    kind: str = "chat"  # or "comparison" (opened on the Compare page)
    models: tuple[str, ...] = ()  # a comparison's models, in the order they first took part


@dataclass
class StoredConversation:
    info: ConversationInfo
    params: ChatParams
    tree: ConversationTree


def title_from(text: str) -> str:
    """The first line of the first message, shortened on a word boundary."""
    line = one_line(text)
    if not line:
        return NEW_TITLE
    if len(line) <= TITLE_LENGTH:
        return line
    cut = line[:TITLE_LENGTH].rsplit(" ", 1)[0] or line[:TITLE_LENGTH]
    return cut + "…"


def _info(row: ConversationRow) -> ConversationInfo:
    models = tuple(str(m) for m in (row.params or {}).get("models", ())) if row.kind != "chat" else ()
    return ConversationInfo(row.id, row.title, row.pinned, row.created_at, row.updated_at, row.kind, models)


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# The SQLite search index (migration 0002): trigram FTS5 over messages.text, keyed by their rowid.
_fts = table(MESSAGES_FTS, column("rowid"), column("text"))
_TRIGRAM = 3
# How many matching messages search reads through the index before treating the term as common.
SEARCH_INDEX_CAP = 2000


def _fts_phrase(term: str) -> str:
    """`term` as one FTS5 phrase: matched as a substring, with no query syntax of its own."""
    return '"' + term.replace('"', '""') + '"'


class UserScoped:
    """Sessions on one database for one user's rows: `_own` finds a conversation row of theirs
    (of `kind`, when a store keeps one kind) or raises NotFound, as for a missing one."""

    kind: str | None = None

    def __init__(self, engine: Engine, user_id: str) -> None:
        self.engine = engine
        self.user_id = user_id
        self._writer = writer(engine)

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def _writing(self) -> Session:
        """A session for a transaction that writes (on SQLite it takes the write lock as it begins)."""
        return Session(self._writer, expire_on_commit=False)

    def _own(self, session: Session, conversation_id: str, lock: bool = False) -> ConversationRow:
        # `lock` holds the conversation's row until commit (PostgreSQL), so writers of one
        # conversation take turns: the next seq one of them reads is still free when it inserts.
        row = session.get(ConversationRow, conversation_id, with_for_update=lock)
        if row is None or row.user_id != self.user_id or (self.kind and row.kind != self.kind):
            raise NotFound(conversation_id)
        return row


class ConversationStore(UserScoped):
    """The conversations, messages and votes of `user_id`, and nobody else's."""

    def __init__(self, engine: Engine, user_id: str) -> None:
        super().__init__(engine, user_id)
        # Two sessions (or replicas) opening the same new user at once both insert; one insert wins.
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        insert_user = dialect.insert(UserRow).values(id=user_id, created_at=now()).on_conflict_do_nothing()
        with self._writing() as session, session.begin():
            session.execute(insert_user)

    # -- conversations ----------------------------------------------------------------------

    def _new_row(self, title: str, params: ChatParams, leaf_id: str | None = None) -> ConversationRow:
        return ConversationRow(
            id=uuid4().hex,
            user_id=self.user_id,
            title=one_line(title)[:200] or NEW_TITLE,
            pinned=False,
            params=params_to_dict(params),
            leaf_id=leaf_id,
            created_at=now(),
            updated_at=now(),
        )

    def create(self, params: ChatParams, title: str = NEW_TITLE) -> str:
        """A new, empty conversation; returns its id."""
        row = self._new_row(title, params)
        with self._writing() as session, session.begin():
            session.add(row)
        return row.id

    def conversations(self, search: str = "", limit: int = 200) -> list[ConversationInfo]:
        """Pinned first, then most recently active; `search` matches titles and message text,
        case-insensitively, anywhere in them (`%` and `_` are plain characters)."""
        query = select(ConversationRow).where(ConversationRow.user_id == self.user_id)
        with self._session() as session:
            term = search.strip()
            if term:
                title_matches = func.lower(ConversationRow.title).like(_like(term.lower()), escape="\\")
                query = query.where(or_(title_matches, self._with_message_matching(session, term)))
            order = (ConversationRow.pinned.desc(), ConversationRow.updated_at.desc())
            return [_info(row) for row in session.scalars(query.order_by(*order).limit(limit))]

    def _with_message_matching(self, session: Session, term: str) -> ColumnElement[bool]:
        """A condition on ConversationRow: it has a message containing `term`.

        Most terms are rare: reading every matching message (through the text index when the
        term is long enough for trigrams) is quick, and the condition is "one of these
        conversations". Once SEARCH_INDEX_CAP matches have been read the term is common, and the
        condition is checked per conversation instead: the listing walks the user's conversations
        in its own order and stops as soon as it has `limit` of them."""
        postgres = self.engine.dialect.name == "postgresql"
        indexed = len(term) >= _TRIGRAM
        if postgres and indexed:
            # With a LIMIT, the planner likes a sequential scan that stops early; for a term in
            # a few percent of messages it reads nearly all of them first, where the index
            # reads only candidates. For this one query, in this read-only transaction.
            session.execute(text("SET LOCAL enable_seqscan = off"))
        matches = self._indexed_matches(term) if indexed else self._scanned_matches(term)
        hits = session.scalars(matches.limit(SEARCH_INDEX_CAP + 1)).all()
        if postgres and indexed:
            session.execute(text("SET LOCAL enable_seqscan = DEFAULT"))
        if len(hits) <= SEARCH_INDEX_CAP:
            return ConversationRow.id.in_(set(hits))
        matching = select(MessageRow.id).where(
            MessageRow.conversation_id == ConversationRow.id, self._text_contains(term)
        )
        # OFFSET 0 keeps PostgreSQL from turning the check into one scan of every message (a hashed
        # subplan), which is the very cost this path is here to avoid; SQLite checks per row anyway.
        return matching.offset(0).exists()

    def _indexed_matches(self, term: str) -> Select[str]:
        """The conversation of each of this user's messages containing `term`, read through the
        text index: SQLite's FTS5 trigram table, or the pg_trgm index serving ILIKE."""
        if self.engine.dialect.name == "sqlite":
            query = (
                select(MessageRow.conversation_id)
                .select_from(_fts)
                .join(MessageRow, literal_column("messages.rowid") == _fts.c.rowid)
                .where(_fts.c.text.match(_fts_phrase(term)))
            )
        else:
            query = select(MessageRow.conversation_id).where(MessageRow.text.ilike(_like(term), escape="\\"))
        return self._users(query)

    def _scanned_matches(self, term: str) -> Select[str]:
        """The same for a term too short for the index: by reading message text."""
        return self._users(select(MessageRow.conversation_id).where(self._text_contains(term)))

    def _users(self, query: Select[str]) -> Select[str]:
        return query.join(ConversationRow, ConversationRow.id == MessageRow.conversation_id).where(
            ConversationRow.user_id == self.user_id
        )

    def _text_contains(self, term: str) -> ColumnElement[bool]:
        """messages.text contains `term`, ignoring case, checked row by row (no index)."""
        if self.engine.dialect.name == "postgresql":
            # lower() and strpos fold case as ILIKE does, at a third of its cost per row.
            return func.strpos(func.lower(MessageRow.text), func.lower(term)) > 0
        return func.lower(MessageRow.text).like(_like(term.lower()), escape="\\")

    def info(self, conversation_id: str) -> ConversationInfo:
        with self._session() as session:
            return _info(self._own(session, conversation_id))

    def rename(self, conversation_id: str, title: str) -> None:
        clean = one_line(title)[:200]
        if not clean:
            raise ValueError("A title cannot be empty.")
        with self._writing() as session, session.begin():
            self._own(session, conversation_id).title = clean

    def set_pinned(self, conversation_id: str, pinned: bool) -> None:
        with self._writing() as session, session.begin():
            self._own(session, conversation_id).pinned = pinned

    def delete(self, conversation_id: str) -> None:
        """The conversation with all its messages and images, in one transaction."""
        with self._writing() as session, session.begin():
            row = self._own(session, conversation_id, lock=True)
            message_ids = select(MessageRow.id).where(MessageRow.conversation_id == row.id)
            session.execute(delete(ImageRow).where(ImageRow.message_id.in_(message_ids)))
            session.execute(delete(MessageRow).where(MessageRow.conversation_id == row.id))
            session.delete(row)

    # -- messages ---------------------------------------------------------------------------

    def save_message(self, conversation_id: str, message: Message, params: ChatParams | None = None) -> None:
        """Insert or update one message and show its path; a first prompt titles the chat."""
        with self._writing() as session, session.begin():
            conversation = self._own(session, conversation_id, lock=True)
            self._put(session, conversation, message, params)
            self._shown(conversation, message.id, params)

    def begin_turn(
        self,
        conversation_id: str,
        prompt: Message,
        answer: Message,
        params: ChatParams,
        discard_ids: Iterable[str] = (),
    ) -> None:
        """One transaction for a new turn: delete `discard_ids` (an answer being replaced), store
        the prompt unless it is stored already (a regenerate keeps it), store the pending answer."""
        with self._writing() as session, session.begin():
            conversation = self._own(session, conversation_id, lock=True)
            self._delete_rows(session, conversation_id, list(discard_ids))
            stored = session.get(MessageRow, prompt.id)
            if stored is None:
                self._put(session, conversation, prompt, params)
            elif stored.conversation_id != conversation_id:
                raise NotFound(prompt.id)
            self._put(session, conversation, answer, params)
            self._shown(conversation, answer.id, params)

    def _put(
        self, session: Session, conversation: ConversationRow, message: Message, params: ChatParams | None
    ) -> None:
        """Insert or update `message`; the caller holds the conversation's lock (for the seq)."""
        row = session.get(MessageRow, message.id)
        if row is not None and row.conversation_id != conversation.id:
            raise NotFound(message.id)
        if row is not None:
            fill_row(row, message, params)
            return
        last = session.scalar(
            select(func.max(MessageRow.seq)).where(MessageRow.conversation_id == conversation.id)
        )
        row = MessageRow(
            id=message.id, conversation_id=conversation.id, seq=(last or 0) + 1, created_at=now()
        )
        fill_row(row, message, params)
        session.add(row)
        session.flush()  # the row before its images: no ORM relationship orders them
        session.add_all(image_rows(message))
        if conversation.title == NEW_TITLE and message.role == "user":
            attached = message.documents[0].name if message.documents else "Images"
            conversation.title = title_from(message.text or attached)

    @staticmethod
    def _shown(conversation: ConversationRow, leaf_id: str, params: ChatParams | None) -> None:
        conversation.leaf_id = leaf_id
        conversation.updated_at = now()
        if params is not None:
            conversation.params = params_to_dict(params)

    def add_conversation(self, title: str, params: ChatParams, tree: ConversationTree) -> str:
        """A whole conversation (an import) in one transaction: all of it or nothing."""
        conversation = self._new_row(title, params, tree.leaf_id)
        with self._writing() as session, session.begin():
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
        """Remember which branch is on show."""
        with self._writing() as session, session.begin():
            self._own(session, conversation_id).leaf_id = leaf_id

    def delete_exchange(
        self, conversation_id: str, message_ids: list[str], reparented: list[Message], leaf_id: str | None
    ) -> None:
        """In one transaction: a prompt with its answers (`message_ids`) goes, what followed
        (`reparented`: kept messages whose parent changed) is re-attached, and the branch on show
        becomes `leaf_id`."""
        with self._writing() as session, session.begin():
            conversation = self._own(session, conversation_id, lock=True)
            self._delete_rows(session, conversation_id, message_ids, reparented)
            conversation.leaf_id = leaf_id

    @staticmethod
    def _delete_rows(
        session: Session, conversation_id: str, message_ids: list[str], reparented: Iterable[Message] = ()
    ) -> None:
        mine = MessageRow.conversation_id == conversation_id
        if message_ids:
            # Only this conversation's messages: ids from elsewhere (another user's) match nothing.
            doomed = select(MessageRow.id).where(mine, MessageRow.id.in_(message_ids))
            session.execute(delete(ImageRow).where(ImageRow.message_id.in_(doomed)))
            session.execute(delete(MessageRow).where(mine, MessageRow.id.in_(message_ids)))
        for message in reparented:
            session.execute(
                update(MessageRow)
                .where(mine, MessageRow.id == message.id)
                .values(parent_id=message.parent_id)
            )

    def load(self, conversation_id: str) -> StoredConversation:
        """The chat with every message (all branches) and its images; a comparison's id reads as
        missing here (it opens on the Compare page)."""
        with self._session() as session:
            conversation = self._own(session, conversation_id)
            if conversation.kind != "chat":
                raise NotFound(conversation_id)
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

    def record_leaderboard_vote(self, prompt: str, vote: Vote) -> None:
        """Store one Compare vote for the leaderboard only (its round is not stored: no comparison
        to mark the winner on)."""
        with self._writing() as session, session.begin():
            session.add(
                VoteRow(
                    user_id=self.user_id,
                    prompt=prompt,
                    models=list(vote.models),
                    winner=clip(vote.winner, max_length(VoteRow.winner)) or "",
                    created_at=now(),
                )
            )

    def team_votes(self) -> list[Vote]:
        """Every user's votes, oldest first: models and winner only, never a prompt (the team's
        leaderboard)."""
        query = select(VoteRow.models, VoteRow.winner).order_by(VoteRow.id)
        with self._session() as session:
            return [Vote(tuple(models), winner) for models, winner in session.execute(query)]
