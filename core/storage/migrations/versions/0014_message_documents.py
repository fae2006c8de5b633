"""Documents attached to a prompt (PDF, Word, text files), stored with their extracted text.

Revision ID: 0014
Revises: 0013

`messages.documents` is a JSON list of {name, kind, text, pages, size}, NULL for a message with
none (every earlier row). They live beside the message rather than in a table of their own: a
prompt's documents are always read and written with it, never searched or shared between
messages.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A nullable ADD COLUMN: no table rebuild on SQLite, no rewrite on PostgreSQL.
    op.add_column("messages", sa.Column("documents", sa.JSON(), nullable=True))


def downgrade() -> None:
    # SQLite 3.35+ drops a column in place; a batch rebuild is not needed.
    op.drop_column("messages", "documents")
