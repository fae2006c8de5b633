"""A unique order of messages per conversation, and a search index over message text.

Revision ID: 0002
Revises: 0001

The order becomes a unique index rather than a table constraint: adding a constraint on SQLite
means rebuilding the table, and dropping the old one with foreign keys on would delete every image.
Seqs that two writers once shared are renumbered first, keeping each conversation's order.

Search: on SQLite an FTS5 table with the trigram tokenizer indexes `messages.text` as external
content (keyed by the messages' rowid, so a future migration that rebuilds `messages` must run
`INSERT INTO messages_fts(messages_fts) VALUES('rebuild')`), kept in step by triggers and filled
from the stored messages here. On PostgreSQL a pg_trgm GIN index serves the same ILIKE the search
has always run; when the extension cannot be installed, search still works, only slower.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

from core.storage.schema import MESSAGES_FTS, TRGM_INDEX

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)

SQLITE_SEARCH = [
    f"CREATE VIRTUAL TABLE {MESSAGES_FTS} USING fts5(text, content='messages', tokenize='trigram')",
    f"""CREATE TRIGGER {MESSAGES_FTS}_insert AFTER INSERT ON messages BEGIN
        INSERT INTO {MESSAGES_FTS}(rowid, text) VALUES (new.rowid, new.text);
    END""",
    f"""CREATE TRIGGER {MESSAGES_FTS}_delete AFTER DELETE ON messages BEGIN
        INSERT INTO {MESSAGES_FTS}({MESSAGES_FTS}, rowid, text) VALUES ('delete', old.rowid, old.text);
    END""",
    f"""CREATE TRIGGER {MESSAGES_FTS}_update AFTER UPDATE OF text ON messages BEGIN
        INSERT INTO {MESSAGES_FTS}({MESSAGES_FTS}, rowid, text) VALUES ('delete', old.rowid, old.text);
        INSERT INTO {MESSAGES_FTS}(rowid, text) VALUES (new.rowid, new.text);
    END""",
    f"INSERT INTO {MESSAGES_FTS}({MESSAGES_FTS}) VALUES ('rebuild')",
]


def upgrade() -> None:
    bind = op.get_bind()
    _renumber_shared_seqs(bind)
    op.drop_index("ix_messages_conversation_seq", table_name="messages")
    op.create_index("uq_messages_conversation_seq", "messages", ["conversation_id", "seq"], unique=True)
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_SEARCH:
            op.execute(statement)
    elif bind.dialect.name == "postgresql":
        schema = _trigram_schema(bind)
        if schema is None:
            log.warning("pg_trgm is not available: message search will scan every message.")
        else:
            op.execute(f'CREATE INDEX {TRGM_INDEX} ON messages USING gin (text "{schema}".gin_trgm_ops)')


def _renumber_shared_seqs(bind: sa.Connection) -> None:
    shared = bind.execute(
        sa.text(
            "SELECT DISTINCT conversation_id FROM messages GROUP BY conversation_id, seq HAVING COUNT(*) > 1"
        )
    ).scalars()
    for conversation_id in list(shared):
        ids = bind.execute(
            sa.text("SELECT id FROM messages WHERE conversation_id = :c ORDER BY seq, created_at, id"),
            {"c": conversation_id},
        ).scalars()
        bind.execute(
            sa.text("UPDATE messages SET seq = :seq WHERE id = :id"),
            [{"seq": seq, "id": message_id} for seq, message_id in enumerate(ids, start=1)],
        )


def _trigram_schema(bind: sa.Connection) -> str | None:
    """The schema pg_trgm lives in, installing it (a trusted extension) where it can."""
    installed = "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
    schema: str | None = bind.scalar(sa.text(f"{installed} WHERE e.extname = 'pg_trgm'"))
    if schema is not None:
        return schema
    # Database-wide, so `public` rather than this app's schema: dropping one app's schema must not
    # take the extension (and every other schema's index) with it.
    candidates = [bind.scalar(sa.text("SELECT nspname FROM pg_namespace WHERE nspname = 'public'"))]
    candidates.append(bind.scalar(sa.text("SELECT current_schema()")))
    for candidate in filter(None, candidates):
        try:
            with bind.begin_nested():
                bind.execute(sa.text(f'CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA "{candidate}"'))
            return str(candidate)
        except sa.exc.DBAPIError as exc:
            log.info("pg_trgm could not be installed in %s: %s", candidate, exc.orig)
    return None


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for suffix in ("_insert", "_delete", "_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {MESSAGES_FTS}{suffix}")
        op.execute(f"DROP TABLE IF EXISTS {MESSAGES_FTS}")
    elif bind.dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {TRGM_INDEX}")
    op.drop_index("uq_messages_conversation_seq", table_name="messages")
    op.create_index("ix_messages_conversation_seq", "messages", ["conversation_id", "seq"])
