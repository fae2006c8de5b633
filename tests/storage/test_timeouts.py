"""The database under faults: every wait has a bound (connecting, statements, locks), and
processes that start together migrate one after the other."""

from __future__ import annotations

import fcntl
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from core.conversation import ChatParams, user_message
from core.storage import ConversationStore, database_url, make_engine, migrate
from core.storage.engine import (
    _MIGRATION_LOCK,
    HEAD_REVISION,
    MigrationLockTimeout,
    current_revision,
    writer,
)
from tests.storage.conftest import POSTGRES_URL, drop_schema, postgres_engine, twin

PARAMS = ChatParams(model="o3")
ROOT = Path(__file__).resolve().parents[2]
# Upper bounds for "fails within its timeout": several times the timeout, for a loaded 2-core box.
SLACK_S = 8.0


@pytest.fixture
def store(engine) -> ConversationStore:
    migrate(engine)
    return ConversationStore(engine, "ana")


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A port on 127.0.0.1 whose connections are accepted by the kernel and never answered."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()


@pytest.mark.postgres
def test_a_database_that_never_answers_fails_within_the_connect_timeout(black_hole):
    url = database_url("", f"postgresql://postgres@127.0.0.1:{black_hole}/test")
    engine = make_engine(url)  # the shipped default: 5 s
    started = time.monotonic()
    with pytest.raises(OperationalError):
        migrate(engine)
    assert time.monotonic() - started < 5 + SLACK_S
    engine.dispose()
    engine = make_engine(url, connect_timeout=2)
    started = time.monotonic()
    with pytest.raises(OperationalError):
        ConversationStore(engine, "ana")
    assert time.monotonic() - started < 2 + SLACK_S
    engine.dispose()


@pytest.mark.postgres
def test_postgres_connections_carry_the_timeouts_and_keep_options_from_the_url():
    url = database_url("", f"{POSTGRES_URL}?options=-csearch_path%3Dsomewhere")
    engine = make_engine(url, statement_timeout=1.5, lock_timeout=0.25)
    with engine.connect() as connection:
        shown = [
            connection.execute(text(f"SHOW {name}")).scalar()
            for name in ("statement_timeout", "lock_timeout")
        ]
        assert shown == ["1500ms", "250ms"]
        assert connection.execute(text("SHOW search_path")).scalar() == "somewhere"
        started = time.monotonic()
        with pytest.raises(OperationalError, match="statement timeout"):
            connection.execute(text("SELECT pg_sleep(60)"))
        assert time.monotonic() - started < 1.5 + SLACK_S
    engine.dispose()
    defaults = make_engine(database_url("", POSTGRES_URL))
    with defaults.connect() as connection:
        assert connection.execute(text("SHOW statement_timeout")).scalar() == "10s"
        assert connection.execute(text("SHOW lock_timeout")).scalar() == "5s"
    defaults.dispose()


def test_a_write_waiting_on_a_held_lock_gives_up_after_the_lock_timeout(engine, store):
    conversation = store.create(PARAMS)
    impatient = twin(engine, lock_timeout=1)
    other = ConversationStore(impatient, "ana")
    with engine.connect() as holder:
        # Someone else is in the middle of writing this conversation and does not finish.
        if engine.dialect.name == "sqlite":
            holder.exec_driver_sql("SELECT 1")  # inside BEGIN (our begin hook); now take the write lock
            holder.exec_driver_sql("UPDATE conversations SET pinned = pinned")
        else:
            holder.execute(text("SELECT id FROM conversations WHERE id = :c FOR UPDATE"), {"c": conversation})
        started = time.monotonic()
        with pytest.raises(OperationalError):
            other.save_message(conversation, user_message("waits"))
        assert time.monotonic() - started < 1 + SLACK_S
        holder.rollback()
    impatient.dispose()
    assert store.load(conversation).tree.messages == {}


def test_sqlite_writers_of_one_process_queue_for_one_connection(tmp_path):
    engine = make_engine(database_url(str(tmp_path), None), lock_timeout=0.3)
    migrate(engine)
    # While a write is in progress, a second writer in this process waits for the first one's
    # connection, in the pool's queue (woken as it is handed back), not on SQLite's lock.
    with writer(engine).begin(), pytest.raises(PoolTimeout):
        writer(engine).connect()
    with writer(engine).begin() as connection:  # handed back at commit
        connection.exec_driver_sql("UPDATE users SET name = name")
    engine.dispose()


def test_sqlite_migration_waits_for_the_file_lock_and_gives_up_with_a_database_error(tmp_path):
    engine = make_engine(database_url(str(tmp_path), None))
    lock_path = f"{engine.url.database}.migrate.lock"
    with open(lock_path, "a+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another process is migrating
        started = time.monotonic()
        with pytest.raises(MigrationLockTimeout) as raised:
            migrate(engine, lock_timeout=0.5)
        assert 0.5 <= time.monotonic() - started < 0.5 + SLACK_S
        assert isinstance(raised.value, SQLAlchemyError)  # the page's "not saving" path catches it
        assert current_revision(engine) is None
    migrate(engine)
    assert current_revision(engine) == HEAD_REVISION
    engine.dispose()


MIGRATE_SNIPPET = """
import sys
import alembic.command  # loaded before the start signal, so both processes reach migrate together
from core.storage import make_engine, migrate
engine = make_engine(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
migrate(engine)
print("migrated", flush=True)
"""


def test_two_processes_starting_on_an_empty_sqlite_database_migrate_it_once(tmp_path):
    # A race that went well once may not the next time. Before connecting retried the switch to
    # WAL, one process failed in 1 of 40 starts run alone and in 3 of 24 under pytest, here.
    for attempt in range(8):
        url = database_url(str(tmp_path / str(attempt)), None)
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", MIGRATE_SNIPPET, url],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        for process in processes:
            assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        outcomes = [process.communicate(timeout=60) for process in processes]
        assert [process.returncode for process in processes] == [0, 0], outcomes
        engine = make_engine(url)
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        engine.dispose()
        assert versions == [HEAD_REVISION]


@pytest.mark.postgres
def test_postgres_migration_gives_up_when_another_replica_holds_the_lock_too_long():
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = postgres_engine(schema)
    try:
        migration_waits_for_another_replica(engine)
    finally:
        engine.dispose()
        drop_schema(schema)


def migration_waits_for_another_replica(engine: Engine) -> None:
    with make_engine(database_url("", POSTGRES_URL)).connect() as other_replica:
        other_replica.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK})
        try:
            started = time.monotonic()
            with pytest.raises(OperationalError, match="lock timeout"):
                migrate(engine, lock_timeout=0.5)
            assert time.monotonic() - started < 0.5 + SLACK_S
        finally:
            other_replica.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK})
    migrate(engine)
    assert current_revision(engine) == HEAD_REVISION
