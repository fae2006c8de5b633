"""The people who use the app: who signed in, and when they were last seen."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.storage.codec import clip, now
from core.storage.engine import writer
from core.storage.schema import UserRow, max_length
from core.utc import as_utc

LOCAL_USER_ID = "local"  # everything stored before sign-in existed belongs to this user


@dataclass(frozen=True)
class UserInfo:
    """One user as stored."""

    id: str
    email: str | None
    name: str | None
    issuer: str | None
    subject: str | None
    created_at: datetime
    last_seen_at: datetime | None
    email_verified: bool = False
    groups: tuple[str, ...] = ()  # as the last sign-in named them

    @property
    def label(self) -> str:
        """How the admin page names the user: the email, else the name, else the id."""
        return self.email or self.name or self.id


def _info(row: UserRow) -> UserInfo:
    return UserInfo(
        row.id,
        row.email,
        row.name,
        row.issuer,
        row.subject,
        as_utc(row.created_at),
        None if row.last_seen_at is None else as_utc(row.last_seen_at),
        bool(row.email_verified),
        tuple(str(group) for group in row.groups or ()),
    )


def upsert_user(
    engine: Engine,
    user_id: str,
    *,
    email: str | None,
    name: str | None,
    issuer: str | None,
    subject: str | None,
    email_verified: bool = False,
    groups: tuple[str, ...] | None = None,
) -> UserInfo:
    """Create the user or refresh what the sign-in says about them (`groups` included, unless
    None), and mark them seen now; one statement, so sessions signing the same person in at once
    on any replica all succeed."""
    seen = now()
    values: dict[str, object] = {
        "email": clip(email, max_length(UserRow.email)),
        "name": clip(name, max_length(UserRow.name)),
        "issuer": clip(issuer, max_length(UserRow.issuer)),
        "subject": clip(subject, max_length(UserRow.subject)),
        "email_verified": bool(email and email_verified),
        "last_seen_at": seen,
    }
    if groups is not None:  # None: leave what an earlier sign-in stored
        values["groups"] = list(groups)
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(UserRow).values(id=user_id, created_at=seen, **values)
    statement = statement.on_conflict_do_update(index_elements=[UserRow.id], set_=values)
    with Session(writer(engine), expire_on_commit=False) as session, session.begin():
        session.execute(statement)
        row = session.get(UserRow, user_id, populate_existing=True)
        assert row is not None  # written just above, in this transaction
        return _info(row)


def find_user(engine: Engine, user_id: str) -> UserInfo | None:
    """The user with this id, or None."""
    with Session(engine) as session:
        row = session.get(UserRow, user_id)
        return None if row is None else _info(row)


def users_with_email(engine: Engine, email: str) -> list[UserInfo]:
    """Every user who signed in with `email` (any case), verified or not: verified first, then the
    most recently seen."""
    wanted = email.strip().lower()
    if not wanted:
        return []
    query = (
        select(UserRow)
        .where(func.lower(UserRow.email) == wanted)
        .order_by(
            UserRow.email_verified.desc(), UserRow.last_seen_at.desc().nulls_last(), UserRow.created_at.desc()
        )
    )
    with Session(engine) as session:
        return [_info(row) for row in session.scalars(query)]


def list_users(engine: Engine) -> list[UserInfo]:
    """Every user, by email (users without one last, by id)."""
    query = select(UserRow).order_by(UserRow.email.is_(None), func.lower(UserRow.email), UserRow.id)
    with Session(engine) as session:
        return [_info(row) for row in session.scalars(query)]
