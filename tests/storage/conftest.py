"""Every storage test runs on the embedded SQLite default and on the machine's real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from core.storage import database_url, make_engine

POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def postgres_engine(schema: str) -> Engine:
    """An engine whose tables all live in `schema` (created here), so tests never collide."""
    admin = make_engine(database_url("", POSTGRES_URL))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return make_engine(database_url("", POSTGRES_URL), connect_args={"options": f"-csearch_path={schema}"})


def twin(engine: Engine, **options: Any) -> Engine:
    """Another engine (its own pool, as another process or replica has) on the same database and
    schema as `engine`, made with `options` (timeouts, say)."""
    if engine.dialect.name == "sqlite":
        return make_engine(engine.url.render_as_string(hide_password=False), **options)
    with engine.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar()
    return make_engine(
        database_url("", POSTGRES_URL), connect_args={"options": f"-csearch_path={schema}"}, **options
    )


def drop_schema(schema: str) -> None:
    admin = make_engine(database_url("", POSTGRES_URL))
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path) -> Iterator[Engine]:
    if request.param == "sqlite":
        created = make_engine(database_url(str(tmp_path / "data"), None))
        yield created
        created.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    created = postgres_engine(schema)
    try:
        yield created
    finally:
        created.dispose()
        drop_schema(schema)
