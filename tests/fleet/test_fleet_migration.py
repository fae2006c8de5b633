"""Replicas starting together against an empty PostgreSQL database migrate it exactly once.

The database records every CREATE TABLE itself (event triggers: a sequence counts attempts,
including ones rolled back, and a table records the ones that committed), so the count does not
depend on the app's logs. The test holds the app's migration lock until both replicas are
waiting on it, so they really do race for the empty database.

What the pages show is not checked here: right after migrating, both replicas create the same
user row at the same moment, and one of them can fail on the unique key (a separate race in
ConversationStore.__init__, reported rather than papered over)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from playwright.sync_api import Browser

from core.storage.engine import _MIGRATION_LOCK
from tests.fleet.conftest import ROOT, fleet_env, postgres_server
from tests.waiting import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.timeout(300)]

APP_TABLES = {"users", "conversations", "messages", "message_images", "compare_votes"}
AUDIT = """
CREATE SCHEMA fleet_audit;
CREATE SEQUENCE fleet_audit.create_table_attempts;
CREATE TABLE fleet_audit.created (identity text NOT NULL);
CREATE FUNCTION fleet_audit.count_attempt() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('fleet_audit.create_table_attempts');
END $$;
CREATE FUNCTION fleet_audit.record_created() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE command record;
BEGIN
    -- One CREATE TABLE reports its table again for each constraint or serial it adds.
    FOR command IN SELECT DISTINCT object_identity FROM pg_event_trigger_ddl_commands()
                   WHERE object_type = 'table' LOOP
        INSERT INTO fleet_audit.created VALUES (command.object_identity);
    END LOOP;
END $$;
CREATE EVENT TRIGGER fleet_count_attempt ON ddl_command_start WHEN TAG IN ('CREATE TABLE')
    EXECUTE FUNCTION fleet_audit.count_attempt();
CREATE EVENT TRIGGER fleet_record_created ON ddl_command_end WHEN TAG IN ('CREATE TABLE')
    EXECUTE FUNCTION fleet_audit.record_created();
"""
ADVISORY_LOCKS = """
SELECT count(*) FILTER (WHERE NOT granted), count(*) FROM pg_locks
WHERE locktype = 'advisory'
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""


@pytest.fixture
def empty_database() -> Iterator[str]:
    """A new, empty database that records every CREATE TABLE run in it."""
    name = f"gptproto_migrate_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server(), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(postgres_server(name), autocommit=True) as conn:
            conn.execute(AUDIT)
        yield postgres_server(name)
    finally:
        with psycopg.connect(postgres_server(), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _head_revision() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(Path(ROOT, "core", "storage", "migrations")))
    return ScriptDirectory.from_config(config).get_current_head()


def test_two_replicas_starting_at_once_migrate_an_empty_database_once(
    fleet_factory, empty_database, browser: Browser
):
    with psycopg.connect(empty_database, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
        fleet = fleet_factory(2, fleet_env(DATABASE_URL=empty_database))
        # Each replica migrates when its first session opens the store: one browser on each.
        pages = []
        for replica in fleet.replicas:
            context = browser.new_context()
            opened = context.new_page()
            opened.goto(replica.url, wait_until="commit")
            pages.append(opened)

        def locks() -> tuple[int, int]:
            """(waiting, all) advisory locks in this database."""
            row = holder.execute(ADVISORY_LOCKS).fetchone()
            return (int(row[0]), int(row[1])) if row else (0, 0)

        assert wait_until(lambda: locks()[0] == 2, timeout=60), (
            f"{locks()[0]} replica(s) waited for the migration lock, not 2"
        )
        holder.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))
        # The lock passes straight from one replica's transaction to the other's, so no lock
        # left means both have been through their migration step and committed.
        assert wait_until(lambda: locks()[1] == 0, timeout=60), f"advisory locks still held: {locks()}"

    with psycopg.connect(empty_database) as conn:
        versions = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        created = [row[0] for row in conn.execute("SELECT identity FROM fleet_audit.created")]
        attempts = conn.execute(
            "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM fleet_audit.create_table_attempts"
        ).fetchone()
        tables = {
            row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
    assert versions == [(_head_revision(),)]
    assert APP_TABLES | {"alembic_version"} <= tables
    assert {f"public.{table}" for table in APP_TABLES | {"alembic_version"}} <= set(created)
    assert len(created) == len(set(created)), f"a table was created twice: {sorted(created)}"
    assert attempts == (len(created),), f"{attempts} CREATE TABLE attempts for {len(created)} tables"
    for opened in pages:
        opened.context.close()
