"""Group policies saved on the Admin page, and each person's groups.

Revision ID: 0012
Revises: 0009

`group_policies` holds a group's models and limits as an admin saved them, in place of what the
settings give that group, so every replica reads the same policy. `users.groups` keeps the groups
the last sign-in named, for the Admin page to work out anyone's limits.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "group_policies",
        sa.Column("group_key", sa.String(200), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("models", sa.JSON(), nullable=True),
        sa.Column("requests_per_minute", sa.Integer(), nullable=True),
        sa.Column("tokens_per_day", sa.Integer(), nullable=True),
        sa.Column("cost_per_month_usd", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(320), nullable=True),
    )
    # A plain ADD COLUMN, nullable: no table rebuild on SQLite.
    op.add_column("users", sa.Column("groups", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "groups")
    op.drop_table("group_policies")
