"""Whether each user's email was verified by the identity provider.

Revision ID: 0005
Revises: 0004

Only a verified email may name an admin or choose whose account a command hands the local user's
chats to: a provider that lets people type any address says so with `email_verified: false`.
Emails stored before this revision were never checked, so they count as unverified until their
owner signs in again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN with a default: no table rebuild on SQLite.
    op.add_column(
        "users", sa.Column("email_verified", sa.Boolean(), nullable=False, server_default=sa.false())
    )


def downgrade() -> None:
    op.drop_column("users", "email_verified")
