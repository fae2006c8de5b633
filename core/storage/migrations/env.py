"""Alembic environment: always run from `core.storage.engine.migrate` with a live connection."""

from __future__ import annotations

from alembic import context

from core.storage.schema import Base, include_name

connection = context.config.attributes["connection"]
context.configure(
    connection=connection, target_metadata=Base.metadata, render_as_batch=True, include_name=include_name
)
with context.begin_transaction():
    context.run_migrations()
