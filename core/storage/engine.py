"""Connecting to the database (SQLite by default, PostgreSQL by URL) and migrating it at start."""

from __future__ import annotations

import fcntl
import math
import sqlite3
import time
import weakref
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DATABASE_FILE = "gptproto-chat.db"
_MIGRATION_LOCK = zlib.crc32(b"gptproto-chat migrations")
# The newest revision in migrations/versions (a test keeps the two in step): a database already
# there starts without loading Alembic at all.
HEAD_REVISION = "0015"  # 0011 follows 0014: written at the same time, chained at merge

CONNECT_TIMEOUT_S = 5.0
STATEMENT_TIMEOUT_S = 10.0
LOCK_TIMEOUT_S = 5.0
# Migrating may build a search index over every stored message while other replicas wait.
MIGRATION_LOCK_TIMEOUT_S = 60.0
MIGRATION_STATEMENT_TIMEOUT_S = 600.0
WAL_RETRY_S = 0.01
# Execution option naming how a SQLite transaction begins; writers ask for IMMEDIATE.
SQLITE_BEGIN = "sqlite_begin"


def database_url(data_dir: str, configured: str | None) -> str:
    """DATABASE_URL when set (a `postgresql://` URL is driven by psycopg 3), else SQLite in data_dir."""
    if configured:
        url = make_url(configured)
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)
    return f"sqlite:///{Path(data_dir).expanduser().resolve() / DATABASE_FILE}"


def make_engine(
    url: str,
    *,
    connect_timeout: float = CONNECT_TIMEOUT_S,
    statement_timeout: float = STATEMENT_TIMEOUT_S,
    lock_timeout: float = LOCK_TIMEOUT_S,
    **options: Any,
) -> Engine:
    """An engine that never waits without bound: PostgreSQL connections get a connect, statement
    and lock timeout (seconds; 0 turns the last two off), SQLite waits `lock_timeout` when busy."""
    connect_args: dict[str, Any] = dict(options.pop("connect_args", {}))
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)  # created on first start
        connect_args = {"check_same_thread": False, "timeout": lock_timeout, **connect_args}
        engine = _sqlite_engine(url, connect_args, options)
        # Writers take turns on one connection of their own: a thread waits in the pool's queue
        # and is woken as the writer before it commits. Waiting on SQLite's lock instead means
        # its busy handler's sleeps (up to 100 ms each): with 20 sessions answering at once,
        # threads sat out ~0.2 s before a request could leave (bench S4 under py-spy).
        sole_writer = _sqlite_engine(
            url, connect_args, {**options, "pool_size": 1, "max_overflow": 0, "pool_timeout": lock_timeout}
        )
        _WRITERS[engine] = sole_writer.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
        return engine
    settings = f"-c statement_timeout={_ms(statement_timeout)} -c lock_timeout={_ms(lock_timeout)}"
    # Options already in the URL or given by the caller (a search_path, say) come after ours, so
    # they still apply, and win where they set the same thing.
    given = [str(make_url(url).query.get("options", "")), str(connect_args.get("options", ""))]
    connect_args = {
        # libpq counts whole seconds and treats anything under 2 as 2.
        "connect_timeout": max(2, math.ceil(connect_timeout)),
        # A peer that stops acknowledging what we send (a cable pulled, a firewall dropping packets)
        # is given up after as long as a connection may take, instead of the kernel's ~15 minutes.
        "tcp_user_timeout": _ms(max(connect_timeout, 2)),
        **connect_args,
        "options": " ".join(part for part in [settings, *given] if part),
    }
    options.setdefault("pool_timeout", connect_timeout)
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **options)


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def _sqlite_connect(connection: Any, _record: Any) -> None:
    # The driver's own transaction handling would start transactions only before writes, so a read
    # and the write that depends on it (the next seq) could see different data: begin ourselves.
    connection.isolation_level = None
    cursor = connection.cursor()
    _switch_to_wal(cursor)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _switch_to_wal(cursor: Any) -> None:
    """WAL mode, which the file keeps once set. Setting it needs the file to itself, and SQLite
    answers "database is locked" at once, without waiting its busy timeout, when another process
    is connecting to a new file too: try again, for as long as the busy timeout would wait."""
    busy_timeout_s = cursor.execute("PRAGMA busy_timeout").fetchone()[0] / 1000
    deadline = time.monotonic() + busy_timeout_s
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(WAL_RETRY_S)  # the other process gives no signal when it is done


def _sqlite_begin(connection: Connection) -> None:
    # A writer that began DEFERRED, read, and then found another writer had committed could not
    # upgrade its snapshot and would fail at once; IMMEDIATE takes the write lock first (waiting up
    # to the busy timeout), so read-then-write transactions simply take turns.
    mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
    connection.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")


def _sqlite_engine(url: str, connect_args: dict[str, Any], options: dict[str, Any]) -> Engine:
    engine = create_engine(url, connect_args=connect_args, **options)
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


# A SQLite engine's writer: the same database, through a pool of one connection.
_WRITERS: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def writer(engine: Engine) -> Engine:
    """The engine for transactions that write: on SQLite they take the write lock as they begin,
    one thread of this process at a time; on PostgreSQL it is the engine itself."""
    sole = _WRITERS.get(engine)
    if sole is not None:
        return sole
    return engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})


def migrate(
    engine: Engine,
    lock_timeout: float = MIGRATION_LOCK_TIMEOUT_S,
    statement_timeout: float = MIGRATION_STATEMENT_TIMEOUT_S,
) -> None:
    """Bring the schema to the newest revision; processes starting together take turns (an advisory
    lock on PostgreSQL, a file lock beside a SQLite file), so each migration runs once."""
    if current_revision(engine) == HEAD_REVISION:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with _file_lock(engine, lock_timeout), writer(engine).begin() as connection:
        if engine.dialect.name == "postgresql":
            # SET LOCAL lasts until this transaction ends; the connection goes back to the pool
            # with the ordinary timeouts.
            connection.execute(text(f"SET LOCAL lock_timeout = {_ms(lock_timeout)}"))
            connection.execute(text(f"SET LOCAL statement_timeout = {_ms(statement_timeout)}"))
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class MigrationLockTimeout(SQLAlchemyError):
    """Another process kept migrating the SQLite database for longer than we would wait (a database
    error like any other to callers, who carry on unsaved)."""


@contextmanager
def _file_lock(engine: Engine, timeout: float) -> Iterator[None]:
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate.lock", "a+b") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                # flock has no timed wait; poll so a stuck migrator cannot hang this page forever.
                if time.monotonic() >= deadline:
                    raise MigrationLockTimeout(
                        f"Another process is still migrating {database}; try again shortly."
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None before the first migration."""
    with engine.connect() as connection:
        exists = engine.dialect.has_table(connection, "alembic_version")
        if not exists:
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
