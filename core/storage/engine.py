"""Connecting to the database (SQLite by default, PostgreSQL by URL) and migrating it at start."""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DATABASE_FILE = "gptproto-chat.db"
_MIGRATION_LOCK = zlib.crc32(b"gptproto-chat migrations")
# The newest revision in migrations/versions (a test keeps the two in step): a database already
# there starts without loading Alembic at all.
HEAD_REVISION = "0001"


def database_url(data_dir: str, configured: str | None) -> str:
    """DATABASE_URL when set (a `postgresql://` URL is driven by psycopg 3), else SQLite in data_dir."""
    if configured:
        url = make_url(configured)
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        return url.render_as_string(hide_password=False)
    return f"sqlite:///{Path(data_dir).expanduser().resolve() / DATABASE_FILE}"


def make_engine(url: str, **options: Any) -> Engine:
    """An engine with the pragmas the embedded default needs (WAL, foreign keys, busy wait)."""
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)  # created on first start
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15}, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **options)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; replicas starting together take turns (PostgreSQL
    advisory lock), so each migration runs once."""
    if current_revision(engine) == HEAD_REVISION:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        exists = engine.dialect.has_table(connection, "alembic_version")
        if not exists:
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
