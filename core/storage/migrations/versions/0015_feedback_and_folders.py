"""Feedback on answers, and folders for conversations and comparisons.

Revision ID: 0015
Revises: 0014

`answer_feedback` holds each person's thumb up or down (and optional comment) on an answer, keyed
by the answer's message id and removed with it. `folders` holds each person's folders, a name
unique per person whatever its case; `conversations.folder_id` files a conversation or comparison
in one (null: no folder).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "folders",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(64), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("name_key", sa.String(240), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_index("uq_folders_user_name_key", "folders", ["user_id", "name_key"], unique=True)
    # A plain ADD COLUMN (no table rebuild on SQLite, which with foreign keys on would take every
    # message with it): no foreign key, a deleted folder is emptied by the store in its transaction.
    op.add_column("conversations", sa.Column("folder_id", sa.String(32), nullable=True))
    op.create_index("ix_conversations_folder", "conversations", ["folder_id"])
    op.create_table(
        "answer_feedback",
        sa.Column(
            "message_id",
            sa.String(32),
            sa.ForeignKey("messages.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "user_id",
            sa.String(64),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("rating", sa.String(8), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
    )
    op.create_index("ix_answer_feedback_updated", "answer_feedback", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_answer_feedback_updated", table_name="answer_feedback")
    op.drop_table("answer_feedback")
    op.drop_index("ix_conversations_folder", table_name="conversations")
    # Not a batch (see 0004): SQLite 3.35+ drops a column in place.
    op.drop_column("conversations", "folder_id")
    op.drop_index("uq_folders_user_name_key", table_name="folders")
    op.drop_table("folders")
