"""`python -m core.storage.upgrade`, the migration Job's command, run as the Job runs it: a
process with DATABASE_URL in its environment."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from sqlalchemy import text

from core.storage.engine import HEAD_REVISION
from tests.conftest import ROOT
from tests.storage.conftest import POSTGRES_URL, drop_schema, postgres_engine


def _upgrade(**env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | env
    return subprocess.run(
        [sys.executable, "-m", "core.storage.upgrade"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.postgres
def test_an_empty_postgres_database_is_brought_to_the_newest_revision_once():
    schema = f"upgrade_{uuid.uuid4().hex[:12]}"
    engine = postgres_engine(schema)
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    try:
        first = _upgrade(DATABASE_URL=url)
        assert first.returncode == 0, first.stderr
        assert first.stdout.strip().endswith(f"schema at revision {HEAD_REVISION} (was empty)")
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
            assert versions == [(HEAD_REVISION,)]
        again = _upgrade(DATABASE_URL=url)
        assert again.returncode == 0
        assert again.stdout.strip().endswith(f"at revision {HEAD_REVISION} (was {HEAD_REVISION})")
    finally:
        engine.dispose()
        drop_schema(schema)


def test_a_database_that_does_not_answer_fails_the_job_with_what_to_check():
    done = _upgrade(DATABASE_URL="postgresql://gptproto:hunter2@127.0.0.1:1/chat?connect_timeout=2")
    assert done.returncode == 1
    assert "Not migrated: the database at postgresql+psycopg://gptproto:***@127.0.0.1:1/chat" in done.stderr
    assert "Check DATABASE_URL" in done.stderr
    assert "hunter2" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr


def test_a_bad_setting_is_named():
    done = _upgrade(DATABASE_URL="", GPTPROTO_MAX_RETRIES="many")
    assert done.returncode == 1
    assert done.stderr == "Not migrated: GPTPROTO_MAX_RETRIES must be a whole number, got 'many'.\n"
