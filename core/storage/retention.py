"""Retention: delete the conversations and comparisons nobody has touched for
GPTPROTO_RETENTION_DAYS days (pinned ones stay unless GPTPROTO_RETENTION_PINNED=true), with their
messages, images, share links and any other rows that name them (feedback, say).

    python -m core.storage.retention --dry-run    # how many would go, deleting nothing
    python -m core.storage.retention              # delete them now

Each replica started by serve.py checks once an hour whether a purge is due (none recorded in the
audit log for a day) and runs it; one replica at a time does (a PostgreSQL advisory lock, a lock
row on SQLite), and each purge is written to the audit log with its counts. The command reads
DATABASE_URL (or GPTPROTO_DATA_DIR) and the retention settings as the app does. Exit codes: 0 done,
1 the settings or the database failed, 2 retention is not configured, 3 another run holds the lock.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
import uuid
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Select, delete, func, inspect, select, table, text
from sqlalchemy import column as sql_column
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from core.audit import RETENTION_PURGE
from core.settings import Settings, SettingsError, load_dotenv_file, resolve_settings
from core.storage.audit_store import AuditStore
from core.storage.codec import now as utc_now
from core.storage.engine import database_url, make_engine, migrate, writer
from core.storage.schema import (
    CompareRoundRow,
    ConversationRow,
    ImageRow,
    MaintenanceLockRow,
    MessageRow,
    ShareRow,
    include_name,
)
from core.utc import as_utc

log = logging.getLogger("gptproto.retention")

LOCK_NAME = "retention"
_ADVISORY_KEY = zlib.crc32(b"gptproto-chat retention")
LOCK_HOLD = timedelta(hours=6)  # a SQLite lock row older than this was left by a run that died
EVERY = timedelta(days=1)
CHECK_EVERY_S = 3600.0
BATCH = 200  # conversations per transaction: each stays well inside the statement timeout
COMMAND = "python -m core.storage.retention"
DAILY = "daily retention"
# The tables this module deletes from by name; any other table with a conversation_id (or a
# message_id) column holds rows about a conversation (feedback, say) and goes with it.
_OWN_TABLES = frozenset(
    {"conversations", "messages", "message_images", "compare_rounds", "shares", "audit_log"}
)


@dataclass(frozen=True)
class RetentionPolicy:
    """How long an untouched conversation is kept, and whether pinned ones go too."""

    days: int
    pinned: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPolicy | None:
        """The policy the settings give; None when GPTPROTO_RETENTION_DAYS is unset (keep all)."""
        if settings.retention_days is None:
            return None
        return cls(settings.retention_days, settings.retention_pinned)

    def cutoff(self, moment: datetime) -> datetime:
        """Conversations last changed before this moment go."""
        return moment - timedelta(days=self.days)


@dataclass(frozen=True)
class Purge:
    """What a purge deleted (or, dry, would delete)."""

    chats: int = 0
    comparisons: int = 0
    messages: int = 0
    images: int = 0
    shares: int = 0
    other: dict[str, int] = field(default_factory=dict)  # rows of other tables, by table

    def __add__(self, more: Purge) -> Purge:
        other = dict(self.other)
        for name, count in more.other.items():
            other[name] = other.get(name, 0) + count
        return Purge(
            chats=self.chats + more.chats,
            comparisons=self.comparisons + more.comparisons,
            messages=self.messages + more.messages,
            images=self.images + more.images,
            shares=self.shares + more.shares,
            other=other,
        )

    def figures(self) -> dict[str, int]:
        """Every count by name, the other tables' as `table_<name>`."""
        counts = {name: getattr(self, name) for name in _COUNTS}
        return counts | {f"table_{name}": count for name, count in sorted(self.other.items())}

    def summary(self) -> str:
        """One line for a person: how many of each."""
        return ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in self.figures().items())


_COUNTS = ("chats", "comparisons", "messages", "images", "shares")


def _expired(policy: RetentionPolicy, moment: datetime) -> Select[str, str]:
    query = select(ConversationRow.id, ConversationRow.kind).where(
        ConversationRow.updated_at < policy.cutoff(moment)
    )
    if not policy.pinned:
        query = query.where(ConversationRow.pinned.is_(False))
    return query.order_by(ConversationRow.updated_at, ConversationRow.id)


def related_tables(connection: Connection) -> dict[str, str]:
    """Other tables that hold rows about a conversation or a message: name -> the column."""
    inspector = inspect(connection)
    related: dict[str, str] = {}
    for name in inspector.get_table_names():
        if name in _OWN_TABLES or not include_name(name, "table", None):  # the search index: kept by triggers
            continue
        columns = {column["name"] for column in inspector.get_columns(name)}
        for column in ("conversation_id", "message_id"):
            if column in columns:
                related[name] = column
                break
    return related


def remove_conversations(
    session: Session, ids: list[str], kinds: list[str], related: dict[str, str], dry: bool
) -> Purge:
    messages = select(MessageRow.id).where(MessageRow.conversation_id.in_(ids))
    images = ImageRow.message_id.in_(messages)
    shares = ShareRow.conversation_id.in_(ids)
    other: dict[str, int] = {}
    for name, column in related.items():
        keys = ids if column == "conversation_id" else messages
        found = _rows(session, table(name, sql_column(column)), column, keys, dry)
        if found:  # a table with nothing about these conversations is not worth a count
            other[name] = found
    counted = Purge(
        chats=kinds.count("chat"),
        comparisons=len(kinds) - kinds.count("chat"),
        messages=_count(session, MessageRow, MessageRow.conversation_id.in_(ids)),
        images=_count(session, ImageRow, images),
        shares=_count(session, ShareRow, shares),
        other=other,
    )
    if not dry:
        session.execute(delete(ImageRow).where(images))
        session.execute(delete(MessageRow).where(MessageRow.conversation_id.in_(ids)))
        session.execute(delete(CompareRoundRow).where(CompareRoundRow.conversation_id.in_(ids)))
        session.execute(delete(ShareRow).where(shares))
        session.execute(delete(ConversationRow).where(ConversationRow.id.in_(ids)))
    return counted


def _rows(session: Session, other: Any, column: str, keys: Any, dry: bool) -> int:
    where = other.c[column].in_(keys)
    found = int(session.scalar(select(func.count()).select_from(other).where(where)) or 0)
    if not dry and found:
        session.execute(delete(other).where(where))
    return found


def _count(session: Session, rows: Any, where: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.count()).select_from(rows).where(where)) or 0)


def sweep(engine: Engine, policy: RetentionPolicy, moment: datetime, *, dry_run: bool) -> Purge:
    """Delete (or only count, dry) what `policy` lets go as of `moment`, batch by batch. Takes no
    lock: `purge` is what runs it."""
    total = Purge()
    after: tuple[datetime, str] | None = None
    while True:
        with Session(writer(engine)) as session, session.begin():
            related = related_tables(session.connection())
            query = _expired(policy, moment).add_columns(ConversationRow.updated_at)
            if dry_run and after is not None:  # nothing is deleted, so page past what was counted
                query = query.where(
                    (ConversationRow.updated_at > after[0])
                    | ((ConversationRow.updated_at == after[0]) & (ConversationRow.id > after[1]))
                )
            found = session.execute(query.limit(BATCH)).all()
            if not found:
                return total
            ids, kinds = [row[0] for row in found], [row[1] for row in found]
            total = total + remove_conversations(session, ids, kinds, related, dry_run)
            after = (found[-1][2], found[-1][0])


@contextmanager
def retention_lock(engine: Engine, moment: datetime) -> Iterator[bool]:
    """Whether this run holds the retention lock (False: another run has it), for the block."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            held = bool(
                connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": _ADVISORY_KEY}).scalar()
            )
            connection.commit()
            try:
                yield held
            finally:
                if held:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _ADVISORY_KEY})
                    connection.commit()
        return
    holder = uuid.uuid4().hex
    held = _take_row(engine, holder, moment)
    try:
        yield held
    finally:
        if held:
            with Session(writer(engine)) as session, session.begin():
                session.execute(
                    delete(MaintenanceLockRow).where(
                        MaintenanceLockRow.name == LOCK_NAME, MaintenanceLockRow.holder == holder
                    )
                )


def _take_row(engine: Engine, holder: str, moment: datetime) -> bool:
    with Session(writer(engine)) as session, session.begin():  # SQLite: one writer at a time
        row = session.get(MaintenanceLockRow, LOCK_NAME)
        if row is not None and as_utc(row.expires_at) > moment:
            return False
        if row is None:
            session.add(MaintenanceLockRow(name=LOCK_NAME, holder=holder, expires_at=moment + LOCK_HOLD))
        else:
            row.holder, row.expires_at = holder, moment + LOCK_HOLD
        return True


def purge(
    engine: Engine,
    policy: RetentionPolicy,
    moment: datetime,
    *,
    dry_run: bool = False,
    by: str = COMMAND,
    only_if_due: bool = False,
) -> Purge | None:
    """Run retention as of `moment` under the lock; None when another run holds it (or, with
    `only_if_due`, when a purge is recorded within the last day). A real purge is audit-logged
    with its counts."""
    with retention_lock(engine, moment) as held:
        if not held:
            return None
        audit = AuditStore(engine)
        if only_if_due:
            last = audit.latest(RETENTION_PURGE)
            if last is not None and moment - last < EVERY:
                return None
        done = sweep(engine, policy, moment, dry_run=dry_run)
        if not dry_run:
            details = {"days": policy.days, "pinned_too": policy.pinned, **done.figures()}
            audit.record(RETENTION_PURGE, actor_id=None, actor=by, details=details, at=moment)
        return done


class DailyRetention:
    """The purge, checked once an hour in a thread of this process and run when due."""

    def __init__(self, url: str, policy: RetentionPolicy, clock: Callable[[], datetime] = utc_now) -> None:
        self.url, self.policy, self.clock = url, policy, clock
        self.stopped = threading.Event()
        self._engine: Engine | None = None

    def check(self) -> Purge | None:
        """One check: migrate (once), then purge when due; None when not due or not possible."""
        try:
            if self._engine is None:
                engine = make_engine(self.url)
                migrate(engine)
                self._engine = engine
            done = purge(self._engine, self.policy, self.clock(), by=DAILY, only_if_due=True)
        except SQLAlchemyError as exc:
            log.warning("retention: the database failed (%s); trying again in an hour", type(exc).__name__)
            return None
        if done is not None:
            log.info("retention: deleted %s", done.summary())
        return done

    def run(self) -> None:
        """Check now, then every CHECK_EVERY_S seconds until stopped."""
        while not self.stopped.is_set():
            self.check()
            self.stopped.wait(CHECK_EVERY_S)


_started: list[DailyRetention] = []
_starting = threading.Lock()


def start_daily(settings: Settings) -> DailyRetention | None:
    """Start this process's retention thread, once, when retention is configured (serve.py calls
    this; a page never does, so no test session purges by accident)."""
    policy = RetentionPolicy.from_settings(settings)
    if policy is None:
        return None
    with _starting:
        if _started:
            return _started[0]
        daily = DailyRetention(database_url(settings.data_dir, settings.database_url), policy)
        threading.Thread(target=daily.run, name="retention", daemon=True).start()
        _started.append(daily)
        return daily


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; the exit codes are in the module's docstring."""
    parser = argparse.ArgumentParser(
        prog=COMMAND, description="Delete conversations past the retention period."
    )
    parser.add_argument("--dry-run", action="store_true", help="count what would be deleted; delete nothing")
    args = parser.parse_args(argv)
    try:
        settings = resolve_settings({}, os.environ, load_dotenv_file(".env"))
    except SettingsError as exc:
        sys.stderr.write(f"Nothing deleted: {exc}\n")
        return 1
    policy = RetentionPolicy.from_settings(settings)
    if policy is None:
        sys.stderr.write(
            "Nothing deleted: GPTPROTO_RETENTION_DAYS is not set, so everything is kept. Set it to the "
            "number of days an untouched conversation is kept, e.g. GPTPROTO_RETENTION_DAYS=365.\n"
        )
        return 2
    engine = make_engine(database_url(settings.data_dir, settings.database_url))
    where = engine.url.render_as_string(hide_password=True)
    try:
        migrate(engine)
        done = purge(engine, policy, utc_now(), dry_run=args.dry_run)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        sys.stderr.write(f"Nothing deleted: the database at {where} failed ({reason}).\n")
        return 1
    finally:
        engine.dispose()
    if done is None:
        sys.stderr.write(
            "Nothing deleted: another replica is running retention right now; try again later.\n"
        )
        return 3
    pinned = "pinned ones too" if policy.pinned else "pinned ones kept"
    verb = "Would delete" if args.dry_run else "Deleted"
    sys.stdout.write(f"{verb} (untouched for {policy.days} days, {pinned}): {done.summary()}.\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
