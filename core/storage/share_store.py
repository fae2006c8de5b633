"""Share links of one user: create, list and revoke only their own; open anyone's by its token.

A share holds its snapshot (taken when the link was made), never a reference to live rows: the
owner's conversation can change or go, and the link keeps showing what was shared until it is
revoked. Opening a link reads that one row and nothing else of its owner's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from core.share_links import KINDS, looks_like_token, new_token, share_title
from core.storage.codec import now
from core.storage.conversation_store import NotFound
from core.storage.engine import writer
from core.storage.schema import ShareRow, UserRow
from core.storage.users import LOCAL_USER_ID
from core.utc import as_utc


@dataclass(frozen=True)
class ShareInfo:
    """A line of the owner's list of links."""

    token: str
    kind: str
    title: str
    conversation_id: str | None
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class SharedSnapshot:
    """What a link opens: the snapshot, and who shared it when."""

    token: str
    kind: str
    title: str
    snapshot: str
    created_at: datetime
    shared_by: str  # the owner's name, else email, as their sign-in gave it
    own: bool  # the viewer is the owner


def _info(row: ShareRow) -> ShareInfo:
    revoked = None if row.revoked_at is None else as_utc(row.revoked_at)
    return ShareInfo(row.token, row.kind, row.title, row.conversation_id, as_utc(row.created_at), revoked)


class ShareStore:
    """The share links `user_id` made, and the links anyone made, opened by token.

    The user's row exists already: a ShareStore is made from the user's ConversationStore."""

    def __init__(self, engine: Engine, user_id: str) -> None:
        self.engine = engine
        self.user_id = user_id
        self._writer = writer(engine)

    def create(self, kind: str, title: str, snapshot: str, conversation_id: str | None = None) -> ShareInfo:
        """A new link to `snapshot` (a chat's or a comparison's export, taken now)."""
        if kind not in KINDS:
            raise ValueError(f"A share is one of {', '.join(KINDS)}, not {kind!r}.")
        row = ShareRow(
            token=new_token(),
            user_id=self.user_id,
            conversation_id=conversation_id,
            kind=kind,
            title=share_title(title),
            snapshot=snapshot,
            created_at=now(),
            revoked_at=None,
        )
        with Session(self._writer, expire_on_commit=False) as session, session.begin():
            session.add(row)
        return _info(row)

    def shares(self, include_revoked: bool = False, limit: int = 200) -> list[ShareInfo]:
        """This user's links, newest first (revoked ones only when asked). The snapshots stay in
        the database: a list of links never loads them."""
        query = select(
            ShareRow.token,
            ShareRow.kind,
            ShareRow.title,
            ShareRow.conversation_id,
            ShareRow.created_at,
            ShareRow.revoked_at,
        ).where(ShareRow.user_id == self.user_id)
        if not include_revoked:
            query = query.where(ShareRow.revoked_at.is_(None))
        query = query.order_by(ShareRow.created_at.desc(), ShareRow.token).limit(limit)
        with Session(self.engine) as session:
            return [
                ShareInfo(token, kind, title, cid, as_utc(created), None if gone is None else as_utc(gone))
                for token, kind, title, cid, created, gone in session.execute(query)
            ]

    def revoke(self, token: str) -> None:
        """The link stops working at once, for everyone. Someone else's token (or an unknown one)
        raises NotFound, exactly as a missing one does; revoking twice changes nothing."""
        mine = (ShareRow.token == token) & (ShareRow.user_id == self.user_id)
        with Session(self._writer) as session, session.begin():
            found = session.scalar(select(ShareRow.token).where(mine))
            if found is None:
                raise NotFound(token)
            still_open = ShareRow.revoked_at.is_(None)
            session.execute(update(ShareRow).where(mine, still_open).values(revoked_at=now()))

    def open(self, token: str | None) -> SharedSnapshot | None:
        """The snapshot a link names, for any signed-in user; None when the token is malformed,
        unknown or revoked (the three answer alike)."""
        if not looks_like_token(token):
            return None
        query = (
            select(ShareRow, UserRow.name, UserRow.email)
            .join(UserRow, UserRow.id == ShareRow.user_id)
            .where(ShareRow.token == token, ShareRow.revoked_at.is_(None))
        )
        with Session(self.engine) as session:
            found = session.execute(query).first()
            if found is None:
                return None
            row, name, email = found
            return SharedSnapshot(
                row.token,
                row.kind,
                row.title,
                row.snapshot,
                as_utc(row.created_at),
                name or email or ("the local user" if row.user_id == LOCAL_USER_ID else "a colleague"),
                row.user_id == self.user_id,
            )
