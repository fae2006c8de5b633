"""Saved comparisons, prompt sets (run sheets) and share links.

Revision ID: 0004
Revises: 0003

A comparison is a conversations row of kind 'comparison', so the library, rename, pin, delete and
search serve chats and comparisons alike; its prompts and answers are ordinary messages, and
`compare_rounds` says which answers belong to which round, in which blind order, and the verdict.
`prompt_sets` holds each user's run sheets; `shares` the read-only links to a snapshot.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def _user_id() -> sa.Column[str]:
    return sa.Column("user_id", sa.String(64), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    # A plain ADD COLUMN with a default (no table rebuild on SQLite): every stored conversation
    # is a chat, and the search index's triggers on messages are untouched.
    op.add_column("conversations", sa.Column("kind", sa.String(16), nullable=False, server_default="chat"))
    op.create_table(
        "compare_rounds",
        sa.Column(
            "conversation_id",
            sa.String(32),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("prompt_id", sa.String(32), nullable=False),
        sa.Column("models", sa.JSON(), nullable=False),
        sa.Column("answer_ids", sa.JSON(), nullable=False),
        sa.Column("blind_order", sa.JSON(), nullable=False),
        sa.Column("blind", sa.Boolean(), nullable=False),
        sa.Column("fresh", sa.Boolean(), nullable=False),
        sa.Column("winner", sa.String(200), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_table(
        "prompt_sets",
        sa.Column("id", sa.String(32), primary_key=True),
        _user_id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
    )
    op.create_index("ix_prompt_sets_user", "prompt_sets", ["user_id"])
    op.create_table(
        "shares",
        sa.Column("token", sa.String(43), primary_key=True),
        _user_id(),
        sa.Column("conversation_id", sa.String(32), nullable=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("revoked_at", WHEN, nullable=True),
    )
    op.create_index("ix_shares_user", "shares", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_shares_user", table_name="shares")
    op.drop_table("shares")
    op.drop_index("ix_prompt_sets_user", table_name="prompt_sets")
    op.drop_table("prompt_sets")
    op.drop_table("compare_rounds")
    # Not a batch: rebuilding `conversations` on SQLite would drop it, and with it (foreign keys
    # on) every message. SQLite 3.35+ drops a column in place.
    op.drop_column("conversations", "kind")
