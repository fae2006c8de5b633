"""Presets (personas): what a new chat or comparison starts from.

Revision ID: 0009
Revises: 0006

`presets` holds each person's presets; `published` makes one everyone's to use (only an admin
sets it). The index on `published` lists the published ones without reading anyone's own.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "presets",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(64), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_presets_user", "presets", ["user_id"])
    op.create_index("ix_presets_published", "presets", ["published"])


def downgrade() -> None:
    op.drop_index("ix_presets_published", table_name="presets")
    op.drop_index("ix_presets_user", table_name="presets")
    op.drop_table("presets")
